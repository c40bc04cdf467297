// Dead-letter operations (issue 14), the same cases on every store backend:
// list with filters and keyset pages, inspect, redrive (idempotent, exactly
// one outcome afterwards: a row or a dead letter again), discard, the
// message's history and the per-subscription counts.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "support/store_backends.hpp"

namespace sluice::testing {
namespace {

using store::dead_letter_state;
using store::outcome;

config::resource_def users_def() {
  config::resource_def r;
  r.name = "users";
  config::field_def name{"name", config::field_type::string, true, 1, 20};
  config::field_def email{"email", config::field_type::email, true};
  r.fields = {name, email};
  return r;
}

std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "01900000-0000-7000-8000-%012d", n);
  return buf;
}

store::row_write row(const std::string& id, const std::string& name) {
  store::row_write w;
  w.message_id = id;
  w.accepted_at_us = 1'790'000'000'000'000;
  w.values.values = {name, std::string("a@x.test")};
  w.body = R"({"name":")" + name + R"(","email":"a@x.test"})";
  w.attempt = 1;
  return w;
}

class dead_letter_contract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = make_store_backend(GetParam());
    ASSERT_TRUE(backend_) << "backend " << GetParam() << " unavailable";
    s_ = &backend_->get();
    tables_ = {{"users", &def_}, {"audit", &def_}};
    ASSERT_FALSE(s_->migrate(tables_));
  }

  // A subscriber's dead letter of message n in `sub` (table users or audit).
  void dead(int n, const std::string& sub = "users", const std::string& reason = "invalid record",
            std::uint32_t attempts = 1) {
    store::batch b{sub, sub, "users", {}, {}};
    b.dead_letters = {{uuid(n), sub, "users", reason, attempts, R"({"name":"x"})"}};
    ASSERT_TRUE(s_->write(b));
  }

  result<store::batch_result> deliver(int n, const std::string& sub = "users",
                                      const std::string& name = "Ada") {
    store::batch b{sub, sub, "users", {row(uuid(n), name)}, {}};
    return s_->write(b);
  }

  std::size_t rows(const std::string& table = "users") {
    return static_cast<std::size_t>(backend_->query_int("SELECT count(*) FROM " + table));
  }

  config::resource_def def_ = users_def();
  std::vector<store::table_def> tables_;
  std::unique_ptr<store_backend> backend_;
  store::store* s_ = nullptr;
};

TEST_P(dead_letter_contract, migrate_twice_keeps_dead_letters) {
  dead(1);
  ASSERT_FALSE(s_->migrate(tables_));
  auto page = s_->dead_letters({});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].state, dead_letter_state::dead);
}

TEST_P(dead_letter_contract, lists_with_filters_and_keyset_pages) {
  for (int i = 1; i <= 5; ++i) dead(i);
  dead(6, "audit");
  auto all = s_->dead_letters({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->entries.size(), 6u);

  store::dead_letter_query q;
  q.subscription = "users";
  q.limit = 2;
  std::vector<std::string> seen;
  for (int round = 0; round < 10; ++round) {
    auto page = s_->dead_letters(q);
    ASSERT_TRUE(page);
    for (const auto& e : page->entries) {
      EXPECT_EQ(e.subscription, "users");
      seen.push_back(e.message_id);
    }
    if (page->entries.size() < q.limit) break;
    q.after = std::pair{page->entries.back().message_id, page->entries.back().subscription};
  }
  EXPECT_EQ(seen, (std::vector<std::string>{uuid(1), uuid(2), uuid(3), uuid(4), uuid(5)}));

  store::dead_letter_query by_topic;
  by_topic.topic = "nope";
  EXPECT_TRUE(s_->dead_letters(by_topic)->entries.empty());
  store::dead_letter_query recent;
  recent.since_us = now_us() + 3'600'000'000LL;  // an hour from now
  EXPECT_TRUE(s_->dead_letters(recent)->entries.empty());
  recent.since_us = now_us() - 3'600'000'000LL;
  EXPECT_EQ(s_->dead_letters(recent)->entries.size(), 6u);
}

TEST_P(dead_letter_contract, reason_filter_is_contains_without_ascii_case_for_list_and_redrive) {
  dead(1, "users", "exceeded max deliveries (5)");
  dead(2, "users", "rejected by the store: CHECK constraint failed");
  dead(3, "users", "invalid record: /email 100% wrong_");
  auto with = [&](std::string text) {
    store::dead_letter_query q;
    q.reason = std::move(text);
    std::vector<std::string> ids;
    auto page = s_->dead_letters(q);
    EXPECT_TRUE(page);
    if (page) {
      for (const auto& e : page->entries) ids.push_back(e.message_id);
    }
    return ids;
  };
  EXPECT_EQ(with("MAX Deliveries"), std::vector<std::string>{uuid(1)});
  EXPECT_EQ(with("check constraint"), std::vector<std::string>{uuid(2)});
  // No LIKE wildcards: % and _ are themselves.
  EXPECT_EQ(with("100% wrong_"), std::vector<std::string>{uuid(3)});
  EXPECT_TRUE(with("%").size() == 1u && with("_").size() == 1u);
  EXPECT_TRUE(with("nowhere").empty());
  EXPECT_EQ(with("e").size(), 3u);

  store::dead_letter_query q;
  q.reason = "REJECTED";
  auto marked = s_->mark_redriven_matching(q);
  ASSERT_TRUE(marked);
  ASSERT_EQ(marked->size(), 1u);
  EXPECT_EQ(marked->front().message_id, uuid(2));
  EXPECT_EQ(s_->dead_letters({})->entries.size(), 2u) << "the other two stay dead";
}

TEST_P(dead_letter_contract, inspect_shows_reason_attempts_body_and_failure_times) {
  dead(1, "users", "exceeded max deliveries (5)", 6);
  auto found = s_->dead_letters_of(uuid(1));
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  const auto& e = found->front();
  EXPECT_EQ(e.message_id, uuid(1));
  EXPECT_EQ(e.subscription, "users");
  EXPECT_EQ(e.topic, "users");
  EXPECT_EQ(e.reason, "exceeded max deliveries (5)");
  EXPECT_EQ(e.attempts, 6u);
  EXPECT_EQ(e.body, R"({"name":"x"})");
  EXPECT_EQ(e.redrives, 0u);
  ASSERT_EQ(e.last_failed_at.size(), 27u) << e.last_failed_at;  // 2026-…T…:…:….123456Z
  EXPECT_EQ(e.first_failed_at, e.last_failed_at);
  EXPECT_TRUE(s_->dead_letters_of(uuid(99))->empty());
}

TEST_P(dead_letter_contract, redrive_lets_the_row_in_once_and_leaves_one_outcome) {
  dead(1);
  ASSERT_TRUE(deliver(1));  // a redelivery while dead: no row
  EXPECT_EQ(rows(), 0u);

  auto marked = s_->mark_redriven(uuid(1), std::nullopt);
  ASSERT_TRUE(marked);
  ASSERT_EQ(marked->size(), 1u);
  EXPECT_EQ(marked->front().state, dead_letter_state::dead);  // as it was
  EXPECT_EQ(marked->front().body, R"({"name":"x"})");
  EXPECT_EQ(s_->status(uuid(1))->status, store::message_status::state::redriven);
  EXPECT_TRUE(s_->dead_letters({})->entries.empty()) << "a redriven entry is not listed";

  // Redriving again (the first answer was lost) marks it again: the
  // re-publishes are the same message id, so the row is one.
  auto again = s_->mark_redriven(uuid(1), std::nullopt);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().state, dead_letter_state::redriven);

  auto first = deliver(1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->rows[0].result, outcome::stored);
  auto second = deliver(1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->rows[0].result, outcome::duplicate);
  EXPECT_EQ(rows(), 1u);
  EXPECT_EQ(s_->status(uuid(1))->status, store::message_status::state::stored);
  // A late dead letter of the same message changes nothing now.
  dead(1);
  EXPECT_EQ(s_->status(uuid(1))->status, store::message_status::state::stored);
  EXPECT_TRUE(s_->dead_letters({})->entries.empty());

  auto story = s_->history(uuid(1));
  ASSERT_TRUE(story);
  std::vector<std::string> events;
  for (const auto& e : *story) events.push_back(e.event);
  EXPECT_EQ(events, (std::vector<std::string>{"dead_lettered", "redriven", "redriven", "stored"}));
  EXPECT_EQ(story->front().reason, "invalid record");
  EXPECT_EQ(story->back().table, "users");
  auto entry = s_->dead_letters_of(uuid(1));
  EXPECT_EQ(entry->front().redrives, 2u);
}

TEST_P(dead_letter_contract, a_redrive_that_fails_again_is_dead_again_with_both_failures) {
  dead(1, "users", "first reason");
  ASSERT_TRUE(s_->mark_redriven(uuid(1), std::nullopt));
  dead(1, "users", "second reason", 1);  // the redriven delivery failed too
  auto found = s_->dead_letters_of(uuid(1));
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().state, dead_letter_state::dead);
  EXPECT_EQ(found->front().reason, "second reason");
  EXPECT_LE(found->front().first_failed_at, found->front().last_failed_at);
  EXPECT_EQ(s_->status(uuid(1))->status, store::message_status::state::dead_lettered);
  EXPECT_EQ(s_->dead_letters({})->entries.size(), 1u);
  ASSERT_TRUE(deliver(1));
  EXPECT_EQ(rows(), 0u) << "dead again: no row";
  auto story = s_->history(uuid(1));
  ASSERT_TRUE(story);
  std::vector<std::string> events;
  for (const auto& e : *story) events.push_back(e.event + ":" + e.reason);
  EXPECT_EQ(events, (std::vector<std::string>{"dead_lettered:first reason",
                                              "redriven:", "dead_lettered:second reason"}));
}

TEST_P(dead_letter_contract, undoing_a_failed_redrive_makes_it_dead_again) {
  dead(1);
  ASSERT_TRUE(s_->mark_redriven(uuid(1), std::nullopt));
  EXPECT_FALSE(s_->unmark_redriven(uuid(1), "users"));
  EXPECT_EQ(s_->status(uuid(1))->status, store::message_status::state::dead_lettered);
  ASSERT_TRUE(deliver(1));
  EXPECT_EQ(rows(), 0u);
  // Once stored, an undo changes nothing (the outcome stands).
  ASSERT_TRUE(s_->mark_redriven(uuid(1), std::nullopt));
  ASSERT_TRUE(deliver(1));
  EXPECT_FALSE(s_->unmark_redriven(uuid(1), "users"));
  EXPECT_EQ(s_->status(uuid(1))->status, store::message_status::state::stored);
}

TEST_P(dead_letter_contract, redrive_by_subscription_and_matching_filters) {
  dead(1, "users");
  dead(1, "audit");
  dead(2, "users");
  dead(3, "audit");
  auto only_audit = s_->mark_redriven(uuid(1), std::string("audit"));
  ASSERT_TRUE(only_audit);
  ASSERT_EQ(only_audit->size(), 1u);
  EXPECT_EQ(only_audit->front().subscription, "audit");
  ASSERT_TRUE(deliver(1, "users"));
  ASSERT_TRUE(deliver(1, "audit"));
  EXPECT_EQ(rows("users"), 0u) << "users' dead letter still holds";
  EXPECT_EQ(rows("audit"), 1u);

  store::dead_letter_query q;
  q.subscription = "users";
  q.limit = 1;
  auto bulk = s_->mark_redriven_matching(q);
  ASSERT_TRUE(bulk);
  ASSERT_EQ(bulk->size(), 1u) << "bounded by the limit";
  q.limit = 100;
  auto rest = s_->mark_redriven_matching(q);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->size(), 1u);
  EXPECT_EQ(s_->dead_letters({})->entries.size(), 1u);  // uuid(3) in audit
}

TEST_P(dead_letter_contract, discard_is_final_and_recorded) {
  dead(1);
  auto dropped = s_->discard(uuid(1), std::nullopt);
  ASSERT_TRUE(dropped);
  ASSERT_EQ(dropped->size(), 1u);
  EXPECT_TRUE(s_->discard(uuid(1), std::nullopt)->empty());
  EXPECT_EQ(s_->status(uuid(1))->status, store::message_status::state::discarded);
  EXPECT_TRUE(s_->dead_letters({})->entries.empty());
  EXPECT_TRUE(s_->mark_redriven(uuid(1), std::nullopt)->empty()) << "a discarded one stays";
  ASSERT_TRUE(deliver(1));
  EXPECT_EQ(rows(), 0u);
  auto found = s_->dead_letters_of(uuid(1));
  EXPECT_EQ(found->front().state, dead_letter_state::discarded);
  std::vector<std::string> events;
  for (const auto& e : *s_->history(uuid(1))) events.push_back(e.event);
  EXPECT_EQ(events, (std::vector<std::string>{"dead_lettered", "discarded"}));
}

TEST_P(dead_letter_contract, counts_per_subscription_hold_only_dead_entries) {
  dead(1);
  dead(2);
  dead(3, "audit");
  ASSERT_TRUE(s_->mark_redriven(uuid(2), std::nullopt));
  auto counts = s_->dead_letter_counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(*counts,
            (std::vector<std::pair<std::string, std::uint64_t>>{{"audit", 1}, {"users", 1}}));
}

INSTANTIATE_TEST_SUITE_P(backends, dead_letter_contract, ::testing::ValuesIn(store_backend_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing
