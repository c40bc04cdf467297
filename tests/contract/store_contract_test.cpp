// One suite of store cases, run against every store backend: batches,
// idempotent re-insert, constraint violations as dead letters, keyset pages,
// filters and message status.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/sluice_process.hpp"
#include "support/store_backends.hpp"

namespace sluice::testing {
namespace {

namespace json = boost::json;
using store::outcome;

config::resource_def users_def() {
  config::resource_def r;
  r.name = "users";
  config::field_def name{"name", config::field_type::string, true, 1, 20};
  config::field_def email{"email", config::field_type::email, true};
  email.indexed = true;
  config::field_def age{"age", config::field_type::integer, false};
  age.minimum = 0;
  age.maximum = 150;
  config::field_def vip{"vip", config::field_type::boolean, false};
  config::field_def score{"score", config::field_type::number, false};
  config::field_def seen{"seen_at", config::field_type::timestamp, false};
  r.fields = {name, email, age, vip, score, seen};
  return r;
}

store::row_write row(const std::string& id, const std::string& name, const std::string& email,
                     model::value age = {}, model::value vip = {}) {
  store::row_write w;
  w.message_id = id;
  w.accepted_at_us = 1'790'000'000'000'000;
  w.values.values = {name, email, age, vip, 1.5, std::string("2026-11-29T09:00:00.000000Z")};
  w.body = "{}";
  return w;
}

std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "01900000-0000-7000-8000-%012d", n);
  return buf;
}

class store_contract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = make_store_backend(GetParam());
    ASSERT_TRUE(backend_) << "backend " << GetParam() << " unavailable";
    s_ = &backend_->get();
    tables_ = {{"users", &def_}};
    ASSERT_FALSE(s_->migrate(tables_));
  }

  store::batch batch_of(std::vector<store::row_write> rows) {
    return {"users", "users", "users", std::move(rows), {}};
  }

  config::resource_def def_ = users_def();
  std::vector<store::table_def> tables_;
  std::unique_ptr<store_backend> backend_;
  store::store* s_ = nullptr;
};

TEST_P(store_contract, migrate_is_idempotent) {
  EXPECT_FALSE(s_->migrate(tables_));
  EXPECT_FALSE(s_->migrate(tables_));
  EXPECT_FALSE(s_->ping());
}

TEST_P(store_contract, batch_insert_then_idempotent_reinsert) {
  auto first = s_->write(batch_of({row(uuid(1), "Ada", "ada@x.test"), row(uuid(2), "Bob", "bob@x.test")}));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->rows.size(), 2u);
  EXPECT_EQ(first->rows[0].result, outcome::stored);
  EXPECT_EQ(first->rows[1].result, outcome::stored);
  // Redelivery of the same messages (and one new) in another batch.
  auto again = s_->write(batch_of({row(uuid(2), "Bob", "bob@x.test"), row(uuid(3), "Cy", "cy@x.test"),
                                   row(uuid(1), "Ada", "ada@x.test")}));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->rows[0].result, outcome::duplicate);
  EXPECT_EQ(again->rows[1].result, outcome::stored);
  EXPECT_EQ(again->rows[2].result, outcome::duplicate);
  auto page = s_->query("users", {});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->count, 3u);
}

TEST_P(store_contract, a_row_the_database_refuses_is_dead_lettered_and_the_rest_stored) {
  auto r = s_->write(batch_of({row(uuid(10), "Ok", "ok@x.test"),
                               row(uuid(11), std::string(25, 'x'), "long@x.test"),  // > max_length
                               row(uuid(12), "Old", "old@x.test", std::int64_t{200}),  // > maximum
                               row(uuid(13), "Fine", "fine@x.test")}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rows[0].result, outcome::stored);
  EXPECT_EQ(r->rows[1].result, outcome::dead_lettered);
  EXPECT_FALSE(r->rows[1].reason.empty());
  EXPECT_EQ(r->rows[2].result, outcome::dead_lettered);
  EXPECT_EQ(r->rows[3].result, outcome::stored);
  auto st = s_->status(uuid(11));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->status, store::message_status::state::dead_lettered);
  EXPECT_EQ(st->subscription, "users");
  // Redelivered: still one dead letter, no row.
  auto again = s_->write(batch_of({row(uuid(11), std::string(25, 'x'), "long@x.test")}));
  ASSERT_TRUE(again);
  EXPECT_EQ(s_->query("users", {})->count, 2u);
}

TEST_P(store_contract, subscriber_dead_letters_are_written_unless_the_message_has_a_row) {
  ASSERT_TRUE(s_->write(batch_of({row(uuid(20), "Stored", "s@x.test")})));
  auto b = batch_of({});
  b.dead_letters = {{uuid(20), "users", "users", "too many deliveries", 6, "{}"},
                    {uuid(21), "users", "users", "invalid record", 1, "{}"}};
  ASSERT_TRUE(s_->write(b));
  EXPECT_EQ(s_->status(uuid(20))->status, store::message_status::state::stored);
  auto dl = s_->status(uuid(21));
  EXPECT_EQ(dl->status, store::message_status::state::dead_lettered);
  EXPECT_EQ(dl->reason, "invalid record");
  EXPECT_EQ(dl->attempts, 1u);
  // Once dead-lettered, a redelivery that would now be valid makes no row.
  auto late = s_->write(batch_of({row(uuid(21), "Late", "late@x.test")}));
  ASSERT_TRUE(late);
  EXPECT_NE(late->rows[0].result, outcome::stored);
  EXPECT_EQ(s_->status(uuid(21))->status, store::message_status::state::dead_lettered);
}

TEST_P(store_contract, keyset_pages_in_both_orders) {
  std::vector<store::row_write> rows;
  for (int i = 0; i < 25; ++i) rows.push_back(row(uuid(100 + i), "P" + std::to_string(i), "p" + std::to_string(i) + "@x.test"));
  ASSERT_TRUE(s_->write(batch_of(rows)));
  for (bool desc : {false, true}) {
    store::page_query q;
    q.limit = 10;
    q.descending = desc;
    std::vector<std::int64_t> ids;
    for (int guard = 0; guard < 10; ++guard) {
      auto page = s_->query("users", q);
      ASSERT_TRUE(page);
      auto arr = json::parse(page->json).as_array();
      ASSERT_EQ(arr.size(), page->count);
      for (const auto& r : arr) ids.push_back(r.at("id").as_int64());
      if (page->count < q.limit) break;
      q.after = page->last_id;
    }
    ASSERT_EQ(ids.size(), 25u);
    EXPECT_TRUE(desc ? std::is_sorted(ids.rbegin(), ids.rend()) : std::is_sorted(ids.begin(), ids.end()));
  }
}

TEST_P(store_contract, filters_and_json_types) {
  ASSERT_TRUE(s_->write(batch_of({row(uuid(30), "A", "a@x.test", std::int64_t{30}, true),
                                  row(uuid(31), "B", "b@x.test", std::int64_t{40}, false),
                                  row(uuid(32), "C", "c@x.test")})));
  store::page_query q;
  q.filters = {{"email", std::string("b@x.test")}};
  auto page = s_->query("users", q);
  ASSERT_TRUE(page);
  auto arr = json::parse(page->json).as_array();
  ASSERT_EQ(arr.size(), 1u);
  const auto& b = arr[0].as_object();
  EXPECT_EQ(b.at("name"), "B");
  EXPECT_EQ(b.at("age").as_int64(), 40);
  EXPECT_EQ(b.at("vip").as_bool(), false);
  EXPECT_DOUBLE_EQ(b.at("score").to_number<double>(), 1.5);
  EXPECT_EQ(b.at("seen_at"), "2026-11-29T09:00:00.000000Z");
  EXPECT_EQ(b.at("message_id"), uuid(31).c_str());
  EXPECT_TRUE(b.contains("received_at"));
  EXPECT_TRUE(b.contains("stored_at"));

  q.filters = {{"vip", true}};
  EXPECT_EQ(s_->query("users", q)->count, 1u);
  q.filters = {{"age", std::int64_t{30}}, {"name", std::string("A")}};
  EXPECT_EQ(s_->query("users", q)->count, 1u);
  q.filters = {{"id", b.at("id").as_int64()}};
  EXPECT_EQ(s_->query("users", q)->count, 1u);
  auto c = s_->query("users", {{{"name", std::string("C")}}});
  EXPECT_TRUE(json::parse(c->json).as_array()[0].at("age").is_null());
  q.filters = {{"nope", std::string("x")}};
  EXPECT_FALSE(s_->query("users", q));
}

// Numbers come back as the shortest text that reads as the same double, the
// same bytes from every store (SQLite's own REAL text keeps only 15 digits).
TEST_P(store_contract, numbers_round_trip_exactly_in_one_form) {
  const std::vector<std::pair<double, std::string>> cases = {
      {123456789.123456789, "123456789.12345679"},
      {0.30000000000000004, "0.30000000000000004"},
      {0.1, "0.1"},
      {5.0, "5"},
      {-2.5, "-2.5"},
      {1e20, "1e+20"},
      {1.5e-7, "1.5e-07"},
      {0.0001, "0.0001"},
      {123456789012345.0, "123456789012345"},
      {1e15, "1e+15"},
      {-1.7976931348623157e308, "-1.7976931348623157e+308"},
  };
  std::vector<store::row_write> rows;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto w = row(uuid(static_cast<int>(60 + i)), "N", "n@x.test");
    w.values.values[4] = cases[i].first;
    rows.push_back(std::move(w));
  }
  ASSERT_TRUE(s_->write(batch_of(std::move(rows))));
  store::page_query q;
  q.limit = 100;
  auto page = s_->query("users", q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->count, cases.size());
  std::size_t from = 0;
  for (const auto& [value, text] : cases) {
    const std::string member = "\"score\":" + text + ",";
    const auto at = page->json.find(member, from);
    ASSERT_NE(at, std::string::npos) << "no " << member << " in " << page->json;
    from = at;
  }
  // Each expected text reads back as its double (std::strtod is exact;
  // Boost.JSON 1.81's parser is not, so it cannot check this).
  for (const auto& [value, text] : cases) EXPECT_EQ(std::strtod(text.c_str(), nullptr), value);
}

TEST_P(store_contract, get_one_row_and_status) {
  ASSERT_TRUE(s_->write(batch_of({row(uuid(40), "G", "g@x.test")})));
  auto st = s_->status(uuid(40));
  ASSERT_TRUE(st);
  ASSERT_EQ(st->status, store::message_status::state::stored);
  EXPECT_EQ(st->table, "users");
  auto one = s_->get("users", st->row_id);
  ASSERT_TRUE(one && *one);
  EXPECT_EQ(json::parse(**one).at("name"), "G");
  EXPECT_FALSE(*s_->get("users", 999999));
  EXPECT_EQ(s_->status(uuid(41))->status, store::message_status::state::unknown);
  EXPECT_FALSE(s_->query("nope", {}));
}

INSTANTIATE_TEST_SUITE_P(backends, store_contract, ::testing::ValuesIn(store_backend_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing
