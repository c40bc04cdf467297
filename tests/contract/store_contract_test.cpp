// One suite of store cases, run against every store backend: batches,
// idempotent re-insert, constraint violations as dead letters, keyset pages,
// filters and message status.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/sluice_process.hpp"
#include "store/page_before.hpp"
#include "store/query_sql.hpp"
#include "store/sqlite/schema.hpp"
#include "support/store_backends.hpp"

#if SLUICE_WITH_POSTGRES
#include "store/postgres/pg_conn.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/postgres/pg_writer.hpp"
#include "store/postgres/postgres_store.hpp"
#include "support/postgres_server.hpp"
#endif

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
  age.indexed = true;
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
  auto refused = row(uuid(11), std::string(25, 'x'), "long@x.test");  // > max_length
  refused.attempt = 3;  // its dead letter records the delivery (issue 11 #30)
  auto r = s_->write(batch_of({row(uuid(10), "Ok", "ok@x.test"), refused,
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
  EXPECT_EQ(st->attempts, 3u);
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
    q.order.descending = desc;
    std::vector<std::int64_t> ids;
    for (int guard = 0; guard < 10; ++guard) {
      auto page = s_->query("users", q);
      ASSERT_TRUE(page);
      auto arr = json::parse(page->json).as_array();
      ASSERT_EQ(arr.size(), page->count);
      for (const auto& r : arr) ids.push_back(r.at("id").as_int64());
      if (page->count < q.limit) break;
      q.after = page->last;
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
  q.filters = {store::equals("email", std::string("b@x.test"))};
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

  q.filters = {store::equals("vip", true)};
  EXPECT_EQ(s_->query("users", q)->count, 1u);
  q.filters = {store::equals("age", std::int64_t{30}), store::equals("name", std::string("A"))};
  EXPECT_EQ(s_->query("users", q)->count, 1u);
  q.filters = {store::equals("id", b.at("id").as_int64())};
  EXPECT_EQ(s_->query("users", q)->count, 1u);
  store::page_query only_c;
  only_c.filters = {store::equals("name", std::string("C"))};
  auto c = s_->query("users", only_c);
  EXPECT_TRUE(json::parse(c->json).as_array()[0].at("age").is_null());
  q.filters = {store::equals("nope", std::string("x"))};
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

// Issue 18: the trace id of the accepting request is kept with the row and
// with the dead letter (refused by the database or by the subscriber), and
// the status returns it; a message without one has none.
TEST_P(store_contract, status_carries_the_trace_id_of_a_row_and_of_a_dead_letter) {
  const std::string trace_a(32, 'a'), trace_b(32, 'b'), trace_c(32, 'c');
  auto traced = row(uuid(50), "T", "t@x.test");
  traced.trace_id = trace_a;
  auto refused = row(uuid(51), std::string(25, 'x'), "long@x.test");  // > max_length
  refused.trace_id = trace_b;
  auto untraced = row(uuid(52), "U", "u@x.test");
  auto b = batch_of({traced, refused, untraced});
  b.dead_letters = {{uuid(53), "users", "users", "invalid record", 1, "{}", trace_c},
                    {uuid(54), "users", "users", "invalid record", 1, "{}"}};
  auto r = s_->write(b);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->rows[1].result, outcome::dead_lettered);
  auto expect = [&](int n, store::message_status::state state, const std::string& trace) {
    auto st = s_->status(uuid(n));
    ASSERT_TRUE(st) << n;
    EXPECT_EQ(st->status, state) << n;
    EXPECT_EQ(st->trace_id, trace) << n;
  };
  using state = store::message_status::state;
  expect(50, state::stored, trace_a);
  expect(51, state::dead_lettered, trace_b);
  expect(52, state::stored, "");
  expect(53, state::dead_lettered, trace_c);
  expect(54, state::dead_lettered, "");
  // statuses() (the waiters' one round) answers the same.
  auto many = s_->statuses(std::vector<std::string>{uuid(50), uuid(53), uuid(52)});
  ASSERT_TRUE(many);
  ASSERT_EQ(many->size(), 3u);
  EXPECT_EQ((*many)[0].trace_id, trace_a);
  EXPECT_EQ((*many)[1].trace_id, trace_c);
  EXPECT_EQ((*many)[2].trace_id, "");
  // The trace id stays out of the row's JSON (a reserved column, not a field).
  auto one = s_->get("users", s_->status(uuid(50))->row_id);
  ASSERT_TRUE(one && *one);
  EXPECT_FALSE(json::parse(**one).as_object().contains("trace_id"));
}

// Tables made before issue 18 have no trace_id column: migrate adds it (to
// the resource's table and to the dead letters), old rows keep NULL.
TEST_P(store_contract, migrate_adds_the_trace_id_column_to_older_tables) {
  ASSERT_TRUE(s_->write(batch_of({row(uuid(60), "Old", "old@x.test")})));
  ASSERT_TRUE(backend_->exec("ALTER TABLE users DROP COLUMN trace_id"));
  ASSERT_TRUE(backend_->exec("ALTER TABLE sluice_dead_letters DROP COLUMN trace_id"));
  // PostgreSQL records applied definitions; forget them, as an older
  // definition's checksum would not match the current one.
  (void)backend_->exec("DELETE FROM sluice_schema_migrations");
  ASSERT_FALSE(s_->migrate(tables_));
  ASSERT_FALSE(s_->migrate(tables_));  // and again: idempotent
  auto fresh = row(uuid(61), "New", "new@x.test");
  fresh.trace_id = std::string(32, 'd');
  auto b = batch_of({fresh});
  b.dead_letters = {{uuid(62), "users", "users", "invalid record", 1, "{}", std::string(32, 'e')}};
  ASSERT_TRUE(s_->write(b));
  EXPECT_EQ(s_->status(uuid(60))->trace_id, "");
  EXPECT_EQ(s_->status(uuid(61))->trace_id, std::string(32, 'd'));
  EXPECT_EQ(s_->status(uuid(62))->trace_id, std::string(32, 'e'));
}

// Issue 11 item 8: worker A stores a message's row (its lease expired) while
// worker B dead-letters the same message: one outcome each, never both.
// Races the two writes over many messages and checks every message's outcome.
TEST_P(store_contract, a_row_and_a_dead_letter_racing_for_one_message_leave_one_outcome) {
  constexpr int k_batches = 40, k_per_batch = 10;
  std::atomic<int> go{0};
  auto ids = [](int b, int i) { return uuid(1000 + b * k_per_batch + i); };
  std::thread rows([&] {
    for (int b = 0; b < k_batches; ++b) {
      while (go.load() < b) std::this_thread::yield();
      std::vector<store::row_write> batch;
      for (int i = 0; i < k_per_batch; ++i) batch.push_back(row(ids(b, i), "R", "r@x.test"));
      ASSERT_TRUE(s_->write(batch_of(std::move(batch))));
    }
  });
  for (int b = 0; b < k_batches; ++b) {
    go.store(b);
    auto d = batch_of({});
    for (int i = 0; i < k_per_batch; ++i) {
      d.dead_letters.push_back({ids(b, i), "users", "users", "too many deliveries", 6, "{}"});
    }
    ASSERT_TRUE(s_->write(d));
  }
  rows.join();
  std::int64_t stored = 0, dead = 0;
  for (int b = 0; b < k_batches; ++b) {
    for (int i = 0; i < k_per_batch; ++i) {
      auto st = s_->status(ids(b, i));
      ASSERT_TRUE(st);
      if (st->status == store::message_status::state::stored) ++stored;
      if (st->status == store::message_status::state::dead_lettered) ++dead;
    }
  }
  EXPECT_EQ(stored + dead, k_batches * k_per_batch);
  // Both outcomes for one message would show as a row here and a dead letter
  // in the dead-letter count: the row count and the dead letters add up to
  // the number of messages exactly.
  EXPECT_EQ(backend_->query_int("SELECT count(*) FROM users"), stored);
  EXPECT_EQ(backend_->query_int("SELECT count(*) FROM sluice_dead_letters"), dead);
}


// ---- Issue 14: every operator, groups, select, order with NULLs and keyset
// pages, on every store: the same rows for the same query.

class store_query : public store_contract {
 protected:
  void SetUp() override {
    store_contract::SetUp();
    if (HasFatalFailure()) return;
    struct person {
      const char* name;
      const char* email;
      model::value age, vip;
    };
    const person people[] = {
        {"Ada", "ada@x.test", std::int64_t{30}, true},
        {"bob", "Bob@x.test", std::int64_t{17}, false},
        {"Cy%", "cy_1@x.test", {}, {}},
        {"ÉCOLE", "e@x.test", std::int64_t{40}, true},
        {"école", "f@x.test", std::int64_t{18}, {}},
        {"a_b", "g@x.test", std::int64_t{50}, false},
        {"Dup", "dup@x.test", std::int64_t{30}, {}},
        {"Nil", "nil@x.test", {}, true},
    };
    std::vector<store::row_write> rows;
    int n = 500;
    for (const auto& p : people) rows.push_back(row(uuid(n++), p.name, p.email, p.age, p.vip));
    ASSERT_TRUE(s_->write(batch_of(rows)));
  }

  // The names of the rows `q` selects, in the page's order.
  std::vector<std::string> names(store::page_query q) {
    q.limit = 100;
    auto page = s_->query("users", q);
    EXPECT_TRUE(page) << (page ? "" : page.error().message());
    std::vector<std::string> out;
    if (!page) return out;
    const auto body = json::parse(page->json);
    for (const auto& r : body.as_array()) {
      out.emplace_back(r.at("name").as_string());
    }
    return out;
  }
  std::vector<std::string> names(std::vector<store::condition> filters) {
    store::page_query q;
    q.filters = std::move(filters);
    return names(q);
  }
};

store::condition cond(const char* field, store::op o, std::vector<model::value> v = {},
                      bool negated = false) {
  return {field, o, negated, std::move(v)};
}

using names_t = std::vector<std::string>;

TEST_P(store_query, every_operator_gives_the_same_rows_on_every_store) {
  using store::op;
  using s = std::string;
  using i = std::int64_t;
  const struct {
    store::condition c;
    names_t want;  // in id order
  } cases[] = {
      {cond("age", op::eq, {i{30}}), {"Ada", "Dup"}},
      {cond("age", op::neq, {i{30}}), {"bob", "ÉCOLE", "école", "a_b"}},  // NULL is never <> 30
      {cond("age", op::gt, {i{30}}), {"ÉCOLE", "a_b"}},
      {cond("age", op::gte, {i{30}}), {"Ada", "ÉCOLE", "a_b", "Dup"}},
      {cond("age", op::lt, {i{18}}), {"bob"}},
      {cond("age", op::lte, {i{18}}), {"bob", "école"}},
      {cond("age", op::in, {i{17}, i{50}, i{99}}), {"bob", "a_b"}},
      {cond("age", op::is_null), {"Cy%", "Nil"}},
      {cond("age", op::is_null, {}, true), {"Ada", "bob", "ÉCOLE", "école", "a_b", "Dup"}},
      {cond("age", op::eq, {i{30}}, true), {"bob", "ÉCOLE", "école", "a_b"}},
      {cond("age", op::in, {i{17}, i{50}}, true), {"Ada", "ÉCOLE", "école", "Dup"}},
      {cond("vip", op::is_true), {"Ada", "ÉCOLE", "Nil"}},
      {cond("vip", op::is_false), {"bob", "a_b"}},
      {cond("vip", op::is_true, {}, true), {"bob", "Cy%", "école", "a_b", "Dup"}},  // NULLs too
      {cond("vip", op::eq, {false}), {"bob", "a_b"}},
      {cond("vip", op::gt, {false}), {"Ada", "ÉCOLE", "Nil"}},
      // like: `*` is the only wildcard; % and _ are themselves.
      {cond("name", op::like, {s("A*")}), {"Ada"}},
      {cond("name", op::like, {s("a*")}), {"a_b"}},
      {cond("name", op::like, {s("*%")}), {"Cy%"}},
      {cond("name", op::like, {s("*_*")}), {"a_b"}},
      {cond("name", op::like, {s("a_b")}), {"a_b"}},
      {cond("name", op::like, {s("a?b")}), {}},
      {cond("name", op::like, {s("[a]*")}), {}},
      {cond("email", op::like, {s("cy_1@*")}), {"Cy%"}},
      {cond("name", op::like, {s("*")}), {"Ada", "bob", "Cy%", "ÉCOLE", "école", "a_b", "Dup", "Nil"}},
      {cond("name", op::like, {s("a*")}, true), {"Ada", "bob", "Cy%", "ÉCOLE", "école", "Dup", "Nil"}},
      // ilike folds ASCII letters only: É and é stay apart.
      {cond("name", op::ilike, {s("ada")}), {"Ada"}},
      {cond("name", op::ilike, {s("BOB")}), {"bob"}},
      {cond("email", op::ilike, {s("bob@*")}), {"bob"}},
      {cond("name", op::ilike, {s("*COLE")}), {"ÉCOLE", "école"}},
      {cond("name", op::ilike, {s("école")}), {"école"}},
      {cond("name", op::ilike, {s("ÉCOLE")}), {"ÉCOLE"}},
      {cond("name", op::ilike, {s("éCOLE")}), {"école"}},
      // Text compares bytewise (UTF-8): upper case before lower, É/é after z.
      {cond("name", op::gt, {s("a")}), {"bob", "ÉCOLE", "école", "a_b"}},
      {cond("name", op::lt, {s("D")}), {"Ada", "Cy%"}},
      {cond("name", op::in, {s("Ada"), s("ada"), s("école")}), {"Ada", "école"}},
      {cond("email", op::eq, {s("bob@x.test")}), {}},
      {cond("name", op::neq, {s("Ada")}), {"bob", "Cy%", "ÉCOLE", "école", "a_b", "Dup", "Nil"}},
      {cond("score", op::gte, {1.5}), {"Ada", "bob", "Cy%", "ÉCOLE", "école", "a_b", "Dup", "Nil"}},
      {cond("score", op::lt, {1.5}), {}},
      {cond("seen_at", op::eq, {s("2026-11-29T09:00:00.000000Z")}),
       {"Ada", "bob", "Cy%", "ÉCOLE", "école", "a_b", "Dup", "Nil"}},
      {cond("seen_at", op::gt, {s("2026-11-29T09:00:00.000000Z")}), {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(names({c.c}), c.want) << c.c.field << " " << store::to_string(c.c.o)
                                    << (c.c.negated ? " (not)" : "");
  }
  // On the id.
  store::page_query all;
  auto page = s_->query("users", all);
  ASSERT_TRUE(page);
  const auto all_rows = json::parse(page->json);
  const auto& rows = all_rows.as_array();
  const std::int64_t first = rows[0].at("id").as_int64();
  EXPECT_EQ(names({cond("id", op::gt, {first + 5})}), (names_t{"Dup", "Nil"}));
  EXPECT_EQ(names({cond("id", op::in, {first, first + 2})}), (names_t{"Ada", "Cy%"}));
  EXPECT_EQ(names({cond("id", op::is_null)}), names_t{});
  // Several conditions: all hold.
  EXPECT_EQ(names({cond("age", op::gte, {i{18}}), cond("vip", op::is_true)}),
            (names_t{"Ada", "ÉCOLE"}));
  // A field the table does not have.
  EXPECT_FALSE(s_->query("users", [] {
    store::page_query q;
    q.filters = {cond("nope", op::eq, {i{1}})};
    return q;
  }()));
}

TEST_P(store_query, or_and_groups_and_their_negations) {
  using store::op;
  using i = std::int64_t;
  store::page_query q;
  q.groups = {{true, false, {cond("age", op::lt, {i{18}}), cond("name", op::eq, {std::string("Ada")})}}};
  EXPECT_EQ(names(q), (names_t{"Ada", "bob"}));
  // NOT (age < 18 OR name = 'Ada'): NULL ages make the OR NULL, and so its NOT.
  q.groups[0].negated = true;
  EXPECT_EQ(names(q), (names_t{"ÉCOLE", "école", "a_b", "Dup"}));
  q.groups = {{false, false, {cond("age", op::gte, {i{18}}), cond("vip", op::is_true)}}};
  EXPECT_EQ(names(q), (names_t{"Ada", "ÉCOLE"}));
  q.groups.push_back({true, false, {cond("name", op::like, {std::string("É*")}), cond("age", op::eq, {i{30}})}});
  EXPECT_EQ(names(q), (names_t{"Ada", "ÉCOLE"}));
  q.filters = {cond("age", op::eq, {i{40}})};
  EXPECT_EQ(names(q), (names_t{"ÉCOLE"}));
}

TEST_P(store_query, select_keeps_only_the_columns_asked_for_in_their_order) {
  store::page_query q;
  q.select = {"name", "id", "vip", "received_at"};
  q.filters = {cond("name", store::op::eq, {std::string("Ada")})};
  auto page = s_->query("users", q);
  ASSERT_TRUE(page);
  const auto parsed = json::parse(page->json);
  const auto& row = parsed.as_array().at(0).as_object();
  ASSERT_EQ(row.size(), 4u) << page->json;
  EXPECT_EQ(row.begin()->key(), "name");
  EXPECT_EQ(row.at("name"), "Ada");
  EXPECT_TRUE(row.at("vip").as_bool());
  EXPECT_TRUE(row.at("id").is_int64());
  EXPECT_TRUE(row.at("received_at").is_string());
  q.select = {"nope"};
  EXPECT_FALSE(s_->query("users", q));
}

// Order by a field with NULLs, both directions, NULLs first and last, in
// pages of 3 through the keyset: every row once, in the order asked for,
// ties (and NULLs) by id in the same direction.
TEST_P(store_query, order_with_nulls_pages_through_the_keyset_in_both_directions) {
  store::page_query all;
  auto page = s_->query("users", all);
  ASSERT_TRUE(page);
  struct entry {
    std::string name;
    std::optional<std::int64_t> age;
    std::int64_t id;
  };
  std::vector<entry> rows;
  const auto body = json::parse(page->json);
  for (const auto& r : body.as_array()) {
    std::optional<std::int64_t> age;
    if (!r.at("age").is_null()) age = r.at("age").as_int64();
    rows.push_back({std::string(r.at("name").as_string()), age, r.at("id").as_int64()});
  }
  for (bool desc : {false, true}) {
    for (bool nulls_first : {false, true}) {
      auto expected = rows;
      std::stable_sort(expected.begin(), expected.end(), [&](const entry& a, const entry& b) {
        if (a.age.has_value() != b.age.has_value()) return nulls_first ? !a.age : !b.age;
        if (a.age && *a.age != *b.age) return desc ? *a.age > *b.age : *a.age < *b.age;
        return desc ? a.id > b.id : a.id < b.id;
      });
      names_t want;
      for (const auto& e : expected) want.push_back(e.name);
      store::page_query q;
      q.order = {"age", desc, nulls_first};
      q.limit = 3;
      names_t got;
      for (int guard = 0; guard < 10; ++guard) {
        auto p = s_->query("users", q);
        ASSERT_TRUE(p) << p.error().message();
        const auto body = json::parse(p->json);
        for (const auto& r : body.as_array()) got.emplace_back(r.at("name").as_string());
        if (p->count < q.limit) break;
        ASSERT_TRUE(p->last);
        q.after = p->last;
        // count(): the rows at or before the position are the pages so far.
        auto counted = s_->count("users", q, store::count_mode::exact, 0);
        if (counted || counted.error() != store::errc::unsupported) {
          ASSERT_TRUE(counted) << counted.error().message();
          EXPECT_EQ(counted->total, rows.size());
          EXPECT_EQ(counted->before, got.size()) << "desc=" << desc << " nulls_first=" << nulls_first;
          auto bounded = s_->count("users", q, store::count_mode::estimated, 100);
          ASSERT_TRUE(bounded) << bounded.error().message();
          EXPECT_EQ(bounded->before, got.size());
        }
      }
      EXPECT_EQ(got, want) << "desc=" << desc << " nulls_first=" << nulls_first;
    }
  }
}

// Prev pages (store/page_before.hpp): walking next to the end, then back
// from each page's first row, gives every earlier page again, rows in the
// same order, on every store; only the first page has nothing before it.
// Field and id orders, both directions, NULLs either side, with a filter
// and a select that leaves the order field out.
TEST_P(store_query, pages_read_backwards_are_the_pages_read_forwards) {
  struct shape {
    store::order_by order;
    bool filtered;
  };
  const shape shapes[] = {
      {{"id", false, false}, false},  {{"id", true, false}, true},
      {{"age", false, false}, false}, {{"age", true, false}, false},
      {{"age", false, true}, true},   {{"age", true, true}, false},
      {{"name", false, false}, true}, {{"name", true, false}, false},
  };
  auto names_of = [](const std::string& json) {
    names_t out;
    const auto rows = json::parse(json);
    for (const auto& r : rows.as_array()) out.emplace_back(r.at("name").as_string());
    return out;
  };
  for (const auto& sh : shapes) {
    for (std::size_t limit : {std::size_t{2}, std::size_t{3}}) {
      const std::string what = sh.order.field + (sh.order.descending ? " desc" : " asc") +
                               (sh.order.nulls_first ? " nullsfirst" : "") +
                               (sh.filtered ? " filtered" : "") + " limit " +
                               std::to_string(limit);
      store::page_query q;
      q.order = sh.order;
      q.limit = limit;
      q.select = {"name"};
      if (sh.filtered) q.filters.push_back(cond("name", store::op::neq, {std::string("Dup")}));
      std::vector<names_t> forward;
      std::vector<store::keyset> firsts, lasts;
      for (int guard = 0; guard < 10; ++guard) {
        auto p = s_->query("users", q);
        ASSERT_TRUE(p) << p.error().message();
        if (p->count == 0) break;
        forward.push_back(names_of(p->json));
        ASSERT_TRUE(p->first && p->last) << what;
        firsts.push_back(*p->first);
        lasts.push_back(*p->last);
        if (p->count < q.limit) break;
        q.after = p->last;
      }
      ASSERT_EQ(forward.size(), (sh.filtered ? 7u : 8u) / limit + ((sh.filtered ? 7u : 8u) % limit != 0))
          << what;
      // Back from the last page to the first.
      store::page_query back = q;
      back.after = firsts.back();
      for (std::size_t i = forward.size() - 1; i-- > 0;) {
        auto b = store::query_before(*s_, "users", back);
        ASSERT_TRUE(b) << b.error().message();
        EXPECT_EQ(names_of(b->rows.json), forward[i]) << what << " page " << i;
        EXPECT_EQ(b->more_before, i > 0) << what << " page " << i;
        ASSERT_TRUE(b->rows.first && b->rows.last) << what;
        EXPECT_EQ(b->rows.first->id, firsts[i].id) << what << " page " << i;
        // Its next page is the one the walk came from.
        EXPECT_EQ(b->rows.last->id, lasts[i].id) << what << " page " << i;
        back.after = b->rows.first;
      }
      // Before the first row: an empty page with nothing before it.
      auto none = store::query_before(*s_, "users", back);
      ASSERT_TRUE(none) << none.error().message();
      EXPECT_EQ(none->rows.json, "[]") << what;
      EXPECT_EQ(none->rows.count, 0u);
      EXPECT_FALSE(none->more_before);
    }
  }
}

TEST(reversed_array, reverses_the_top_level_elements_only) {
  EXPECT_EQ(store::reversed_array("[]"), "[]");
  EXPECT_EQ(store::reversed_array(R"([{"a":1}])"), R"([{"a":1}])");
  EXPECT_EQ(store::reversed_array(R"([{"a":"x,}]\"","b":[1,2]},{"c":{"d":null}},{}])"),
            R"([{},{"c":{"d":null}},{"a":"x,}]\"","b":[1,2]}])");
}

// Text orders bytewise on every store (PostgreSQL: COLLATE "C"), pages
// included.
TEST_P(store_query, text_order_is_bytewise) {
  for (bool desc : {false, true}) {
    store::page_query q;
    q.order = {"email", desc, desc};
    q.limit = 2;
    names_t got;
    for (int guard = 0; guard < 10; ++guard) {
      auto p = s_->query("users", q);
      ASSERT_TRUE(p) << p.error().message();
      const auto body = json::parse(p->json);
      for (const auto& r : body.as_array()) got.emplace_back(r.at("email").as_string());
      if (p->count < q.limit) break;
      q.after = p->last;
    }
    names_t want = {"Bob@x.test", "ada@x.test", "cy_1@x.test", "dup@x.test",
                    "e@x.test",   "f@x.test",   "g@x.test",    "nil@x.test"};
    if (desc) std::reverse(want.begin(), want.end());
    EXPECT_EQ(got, want) << "desc=" << desc;
  }
}


// The statements of an ordered page are ranges of the (field, id) index:
// EXPLAIN (PostgreSQL) / EXPLAIN QUERY PLAN (SQLite) of each segment, on a
// table analyzed with 3,000 rows, names the index and sorts nothing.
TEST_P(store_query, an_ordered_page_is_a_range_of_the_field_index) {
  std::vector<store::row_write> rows;
  for (int i = 0; i < 3000; ++i) {
    model::value age = i % 10 == 0 ? model::value{} : model::value{std::int64_t{i % 150}};
    rows.push_back(row(uuid(10000 + i), "R", "r" + std::to_string(i) + "@x.test", age));
    if (rows.size() == 500) {
      ASSERT_TRUE(s_->write(batch_of(std::move(rows))));
      rows.clear();
    }
  }
  ASSERT_TRUE(backend_->exec("ANALYZE"));
  const bool pg = GetParam() == "postgres";
  const store::query_dialect* d = &store::sqlite::query_dialect();
#if SLUICE_WITH_POSTGRES
  if (pg) d = &store::pg::query_dialect();
#endif
  // Each value as a literal in place of its placeholder (EXPLAIN has no
  // parameters to bind), the limit 3.
  auto literal = [](const model::value& v) -> std::string {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* t = std::get_if<std::string>(&v)) return "'" + *t + "'";
    return "NULL";
  };
  for (const char* field : {"age", "email"}) {
    for (bool desc : {false, true}) {
      for (bool with_position : {false, true}) {
        store::page_query q;
        q.order = {field, desc, false};
        if (with_position) {
          q.after = std::string(field) == "age" ? store::keyset{std::int64_t{30}, 500}
                                                : store::keyset{std::string("r5@x.test"), 500};
        }
        auto plan = store::plan_page(*d, "users", def_, q);
        ASSERT_TRUE(plan);
        for (const auto& st : plan->segments) {
          std::vector<model::value> values = st.params;
          values.emplace_back(std::int64_t{3});
          std::string sql = st.sql;
          for (auto n = values.size(); n >= 1; --n) {
            const std::string ph = (pg ? "$" : "?") + std::to_string(n);
            for (auto at = sql.find(ph); at != std::string::npos; at = sql.find(ph, at)) {
              sql.replace(at, ph.size(), literal(values[n - 1]));
            }
          }
          const std::string text = backend_->explain(sql);
          const std::string index = std::string("users_") + field + (pg && std::string(field) == "email" ? "_bytes_idx" : "_idx");
          EXPECT_NE(text.find(index), std::string::npos) << sql << "\n" << text;
          EXPECT_EQ(text.find("Sort"), std::string::npos) << sql << "\n" << text;
          EXPECT_EQ(text.find("TEMP B-TREE"), std::string::npos) << sql << "\n" << text;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(backends, store_query, ::testing::ValuesIn(store_backend_names()),
                         [](const auto& info) { return info.param; });

#if SLUICE_WITH_POSTGRES
// Issue 11 item 12: when the statement cache is full, preparing one more
// statement must not drop the statements prepared just before it (the
// writer prepares its insert, then its dead-letter insert, then runs both).
TEST(postgres_statement_cache, eviction_keeps_recent_statements) {
  auto* server = postgres_server::shared();
  ASSERT_NE(server, nullptr);
  std::string url = server->create_database();
  ASSERT_FALSE(url.empty());
  std::string error;
  auto c = store::pg::connection::open({"dbname"}, {url}, error);
  ASSERT_TRUE(c) << error;
  c->set_statement_cache_capacity(2);
  auto deadline = [] { return store::pg::clock::now() + std::chrono::seconds(10); };
  std::string a = c->prepare("SELECT 1", deadline());
  std::string b = c->prepare("SELECT 2", deadline());
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  std::string d = c->prepare("SELECT 3", deadline());  // the cache is full: evicts "SELECT 1"
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(c->cached_statements(), 2u);
  // b, prepared before d, still runs by its name.
  store::pg::params none;
  ASSERT_TRUE(c->send_prepared(b, none));
  store::pg::result_ptr last;
  for (int guard = 0; guard < 16; ++guard) {
    auto r = c->next(deadline());
    if (r == nullptr) break;
    last = std::move(r);
  }
  EXPECT_TRUE(store::pg::ok(last.get())) << store::pg::error_message(last.get(), c->raw());
  // Using "SELECT 2" refreshes it: the next eviction takes "SELECT 3".
  EXPECT_EQ(c->prepare("SELECT 2", deadline()), b);
  ASSERT_FALSE(c->prepare("SELECT 4", deadline()).empty());
  EXPECT_EQ(c->prepare("SELECT 2", deadline()), b);
  EXPECT_TRUE(store::pg::ok(c->exec_prepared("SELECT 2", none, deadline()).get()));
  EXPECT_TRUE(store::pg::ok(c->exec("SELECT 1", deadline()).get()));
}

// Issue 11 item 7: the store refuses rows for reasons outside classes 22/23 —
// a trigger's RAISE EXCEPTION (P0001), a value too long for its index entry
// (54000), an error of another class that repeats for the same row. Each
// such row is dead-lettered with the database's message; the rest of the
// batch is stored, and the subscription is not stalled.
class postgres_refusals : public ::testing::Test {
 protected:
  void SetUp() override {
    auto* server = postgres_server::shared();
    ASSERT_NE(server, nullptr);
    url_ = server->create_database();
    ASSERT_FALSE(url_.empty());
    auto s = store::make_postgres_store({url_, "", 2});
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    tables_ = {{"users", &def_}};
    ASSERT_FALSE(store_->migrate(tables_));
    std::string error;
    admin_ = store::pg::connection::open({"dbname"}, {url_}, error);
    ASSERT_TRUE(admin_) << error;
  }

  void sql(const std::string& text) {
    auto r = admin_->exec(text, store::pg::clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(store::pg::ok(r.get())) << text << ": "
                                        << store::pg::error_message(r.get(), admin_->raw());
  }

  store::batch batch_of(std::vector<store::row_write> rows) {
    return {"users", "users", "users", std::move(rows), {}};
  }

  config::resource_def def_ = users_def();
  std::vector<store::table_def> tables_;
  std::string url_;
  std::unique_ptr<store::store> store_;
  std::unique_ptr<store::pg::connection> admin_;
};

TEST_F(postgres_refusals, trigger_exception_and_oversized_index_entry_dead_letter_only_their_rows) {
  sql("CREATE FUNCTION no_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.name = 'boom' THEN RAISE EXCEPTION 'boom is not welcome'; END IF; "
      "RETURN NEW; END $$");
  sql("CREATE TRIGGER no_boom BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION no_boom()");
  // email is indexed and has no max_length in this definition: a value far
  // over the btree entry limit (with little repetition, so it does not
  // compress under the limit) is refused with 54000.
  std::string huge;
  std::uint32_t seed = 12345;
  const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 9000; ++i) {
    seed = seed * 1664525u + 1013904223u;  // LCG: incompressible enough
    huge += alphabet[(seed >> 16) % 36];
  }
  huge += "@x.test";
  auto r = store_->write(batch_of({row(uuid(1), "Ok", "ok@x.test"), row(uuid(2), "boom", "b@x.test"),
                                   row(uuid(3), "Long", huge), row(uuid(4), "Fine", "fine@x.test")}));
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->rows.size(), 4u);
  EXPECT_EQ(r->rows[0].result, outcome::stored);
  EXPECT_EQ(r->rows[1].result, outcome::dead_lettered);
  EXPECT_NE(r->rows[1].reason.find("boom is not welcome"), std::string::npos) << r->rows[1].reason;
  EXPECT_EQ(r->rows[2].result, outcome::dead_lettered);
  EXPECT_FALSE(r->rows[2].reason.empty());
  EXPECT_EQ(r->rows[3].result, outcome::stored);
  EXPECT_EQ(store_->status(uuid(2))->status, store::message_status::state::dead_lettered);
  EXPECT_EQ(store_->status(uuid(3))->status, store::message_status::state::dead_lettered);
  EXPECT_EQ(store_->query("users", {})->count, 2u);
  EXPECT_EQ(postgres_server::query_int(url_, "SELECT count(*) FROM sluice_dead_letters"), 2);
}

TEST_F(postgres_refusals, the_same_refusal_of_another_class_repeated_becomes_the_rows) {
  // 40001 (serialization failure) is a moment's error in general: released,
  // not counted. Raised every time for the same row, it is the row's.
  sql("CREATE FUNCTION flaky() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.name = 'again' THEN RAISE EXCEPTION 'always again' USING ERRCODE = '40001'; "
      "END IF; RETURN NEW; END $$");
  sql("CREATE TRIGGER flaky BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION flaky()");
  auto b = batch_of({row(uuid(5), "Ok", "ok@x.test"), row(uuid(6), "again", "a@x.test")});
  // The first tries release the batch whole (the store may redo a call once
  // on a new connection, so one write can count up to two refusals).
  unsigned released = 0;
  auto r = store_->write(b);
  for (unsigned i = 0; !r && i < 2 * store::pg::refusal_memory::limit; ++i) {
    EXPECT_EQ(r.error(), make_error_code(store::errc::unavailable));
    EXPECT_EQ(store_->query("users", {})->count, 0u);  // the batch was released whole
    ++released;
    r = store_->write(b);
  }
  EXPECT_GE(released, 1u);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->rows[0].result, outcome::stored);
  EXPECT_EQ(r->rows[1].result, outcome::dead_lettered);
  EXPECT_NE(r->rows[1].reason.find("always again"), std::string::npos) << r->rows[1].reason;
  EXPECT_FALSE(store_->ping());
}
#endif

INSTANTIATE_TEST_SUITE_P(backends, store_contract, ::testing::ValuesIn(store_backend_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing
