// store::count (GET's Prefer: count=…) on every store backend: exact counts
// with the page's filters and the rows before a cursor, bounded counts that
// stay exact below count_exact_max, and the planner's estimates past it.

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "support/store_backends.hpp"

namespace sluice::testing {
namespace {

using store::count_mode;

config::resource_def people_def() {
  config::resource_def r;
  r.name = "people";
  config::field_def name{"name", config::field_type::string, true, 1, 50};
  config::field_def email{"email", config::field_type::email, true};
  email.max_length = 100;
  email.indexed = true;
  config::field_def vip{"vip", config::field_type::boolean, false};
  r.fields = {name, email, vip};
  return r;
}

std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "01900000-0000-7000-8000-%012d", n);
  return buf;
}

class count_contract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = make_store_backend(GetParam());
    ASSERT_TRUE(backend_) << "backend " << GetParam() << " unavailable";
    s_ = &backend_->get();
    tables_ = {{"people", &def_}};
    ASSERT_FALSE(s_->migrate(tables_));
    // 30 rows: every third one a vip (10), one e-mail each.
    store::batch b{"people", "people", "people", {}, {}};
    for (int i = 0; i < k_rows; ++i) {
      store::row_write w;
      w.message_id = uuid(i + 1);
      w.accepted_at_us = 1'790'000'000'000'000;
      w.values.values = {std::string("P") + std::to_string(i),
                         "p" + std::to_string(i) + "@count.test", i % 3 == 0};
      w.body = "{}";
      b.rows.push_back(std::move(w));
    }
    auto written = s_->write(b);
    ASSERT_TRUE(written);
    store::page_query every;
    every.limit = 100;
    auto all = s_->query("people", every);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->count, static_cast<std::size_t>(k_rows));
    first_id_ = backend_->query_int("SELECT min(id) FROM people");
    ASSERT_GT(first_id_, 0);
  }

  // Equalities on (field, value) pairs, and an id-order position.
  static store::page_query with(std::vector<std::pair<std::string, model::value>> equal,
                                std::optional<std::int64_t> after = std::nullopt,
                                bool descending = false) {
    store::page_query q;
    for (auto& [field, v] : equal) q.filters.push_back(store::equals(field, std::move(v)));
    if (after) q.after = store::keyset{{}, *after};
    q.order.descending = descending;
    return q;
  }

  store::row_count count(const store::page_query& q, count_mode mode, std::uint64_t exact_max) {
    auto c = s_->count("people", q, mode, exact_max);
    EXPECT_TRUE(c) << c.error().message();
    return c ? *c : store::row_count{};
  }

  static constexpr int k_rows = 30;
  config::resource_def def_ = people_def();
  std::vector<store::table_def> tables_;
  std::unique_ptr<store_backend> backend_;
  store::store* s_ = nullptr;
  std::int64_t first_id_ = 0;
};

TEST_P(count_contract, exact_counts_apply_the_page_filters) {
  auto all = count(with({}), count_mode::exact, 0);
  EXPECT_EQ(all.total, 30u);
  EXPECT_EQ(all.before, 0u);
  EXPECT_TRUE(all.exact);
  EXPECT_EQ(count(with({{"vip", true}}), count_mode::exact, 0).total, 10u);
  EXPECT_EQ(count(with({{"vip", false}}), count_mode::exact, 0).total, 20u);
  EXPECT_EQ(count(with({{"email", std::string("p7@count.test")}}), count_mode::exact, 0).total, 1u);
  EXPECT_EQ(count(with({{"email", std::string("nobody@count.test")}}), count_mode::exact, 0).total,
            0u);
  EXPECT_EQ(count(with({{"id", first_id_ + 4}}), count_mode::exact, 0).total, 1u);
  EXPECT_EQ(count(with({{"vip", true}, {"name", std::string("P3")}}), count_mode::exact, 0).total,
            1u);
}

TEST_P(count_contract, the_rows_a_cursor_skipped_are_counted_apart) {
  // Ascending past the 10th row: 10 before it (of which vips: rows 0,3,6,9).
  auto asc = count(with({}, first_id_ + 9), count_mode::exact, 0);
  EXPECT_EQ(asc.total, 30u);
  EXPECT_EQ(asc.before, 10u);
  auto vips = count(with({{"vip", true}}, first_id_ + 9), count_mode::exact, 0);
  EXPECT_EQ(vips.total, 10u);
  EXPECT_EQ(vips.before, 4u);
  // Descending past the 10th row: rows 10..29 came before it, and itself.
  auto desc = count(with({}, first_id_ + 9, true), count_mode::exact, 0);
  EXPECT_EQ(desc.before, 21u);
  // A bounded count below its bound is exact, cursor included.
  auto bounded = count(with({{"vip", true}}, first_id_ + 9), count_mode::estimated, 1000);
  EXPECT_TRUE(bounded.exact);
  EXPECT_EQ(bounded.total, 10u);
  EXPECT_EQ(bounded.before, 4u);
}

TEST_P(count_contract, estimated_is_exact_up_to_the_threshold) {
  for (std::uint64_t exact_max : {30u, 31u, 1000u}) {
    auto c = count(with({}), count_mode::estimated, exact_max);
    EXPECT_TRUE(c.exact) << exact_max;
    EXPECT_EQ(c.total, 30u) << exact_max;
  }
  // Few rows match: exact even with a small threshold.
  auto one = count(with({{"email", std::string("p7@count.test")}}), count_mode::estimated, 5);
  EXPECT_TRUE(one.exact);
  EXPECT_EQ(one.total, 1u);
}

TEST_P(count_contract, past_the_threshold_the_estimate_comes_from_the_statistics) {
  ASSERT_TRUE(backend_->exec("ANALYZE"));
  auto all = count(with({}), count_mode::estimated, 5);
  EXPECT_FALSE(all.exact);
  EXPECT_EQ(all.total, 30u);  // the analyzed table's row count
  // An unindexed filter's estimate: more than the threshold, at most the table.
  auto vips = count(with({{"vip", true}}), count_mode::estimated, 5);
  EXPECT_FALSE(vips.exact);
  EXPECT_GE(vips.total, 6u);
  EXPECT_LE(vips.total, 30u);
  // With a cursor, the estimate of the rows before it stays within the total.
  auto paged = count(with({}, first_id_ + 14), count_mode::estimated, 5);
  EXPECT_FALSE(paged.exact);
  EXPECT_GE(paged.before, 10u);
  EXPECT_LE(paged.before, 20u);
  EXPECT_LE(paged.before, paged.total);
}

TEST_P(count_contract, planned_is_the_estimate_alone) {
  ASSERT_TRUE(backend_->exec("ANALYZE"));
  auto all = count(with({}), count_mode::planned, 0);
  EXPECT_FALSE(all.exact);
  EXPECT_EQ(all.total, 30u);
  // An equality on an indexed field with one row per value.
  auto one = count(with({{"email", std::string("p7@count.test")}}), count_mode::planned, 0);
  EXPECT_FALSE(one.exact);
  EXPECT_EQ(one.total, 1u);
}

TEST_P(count_contract, planned_before_analyze_still_answers) {
  auto all = count(with({}), count_mode::planned, 0);
  EXPECT_FALSE(all.exact);
  // Without statistics: SQLite's max(id) bound, PostgreSQL's guess from the
  // table's pages; some positive number either way.
  EXPECT_GT(all.total, 0u);
}

TEST_P(count_contract, unknown_tables_and_fields_are_refused) {
  auto t = s_->count("nope", with({}), count_mode::exact, 0);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), store::errc::unknown_table);
  auto f = s_->count("people", with({{"nope", std::int64_t{1}}}), count_mode::exact, 0);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error(), store::errc::bad_query);
}

INSTANTIATE_TEST_SUITE_P(backends, count_contract, ::testing::ValuesIn(store_backend_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing
