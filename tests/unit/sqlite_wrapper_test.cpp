// The shared SQLite wrapper (src/sqlite/): the bounded statement cache, checked
// binds and the error category.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <string>

#include "sqlite/database.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace sluice::sqlite {
namespace {

connection open_memory(std::size_t capacity) {
  open_options o;
  o.statement_cache_capacity = capacity;
  auto c = connection::open(":memory:", o);
  EXPECT_TRUE(c);
  return std::move(*c);
}

std::string select(int n) {
  return "SELECT " + std::to_string(n);
}

std::int64_t value_of(connection& c, const std::string& sql) {
  auto s = c.prepare(sql);
  EXPECT_TRUE(s);
  auto row = s->step();
  EXPECT_TRUE(row && *row);
  return s->int64_at(0);
}

TEST(statement_cache, holds_at_most_its_capacity) {
  auto c = open_memory(4);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(value_of(c, select(i)), i);
  EXPECT_EQ(c.cached_statements(), 4u);
  for (int i = 96; i < 100; ++i) EXPECT_TRUE(c.is_cached(select(i))) << i;
}

TEST(statement_cache, evicts_the_least_recently_used) {
  auto c = open_memory(3);
  value_of(c, select(1));
  value_of(c, select(2));
  value_of(c, select(3));
  value_of(c, select(1));  // 2 is now the least recently used
  value_of(c, select(4));
  EXPECT_TRUE(c.is_cached(select(1)));
  EXPECT_FALSE(c.is_cached(select(2)));
  EXPECT_TRUE(c.is_cached(select(3)));
  EXPECT_TRUE(c.is_cached(select(4)));
}

TEST(statement_cache, never_evicts_a_statement_in_use) {
  auto c = open_memory(2);
  ASSERT_FALSE(c.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
  auto held = c.prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(held);
  auto first = held->step();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ(held->int64_at(0), 1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(value_of(c, select(i)), i);
  EXPECT_TRUE(c.is_cached("SELECT x FROM t ORDER BY x"));
  auto second = held->step();  // still the same, valid statement
  ASSERT_TRUE(second && *second);
  EXPECT_EQ(held->int64_at(0), 2);
  EXPECT_LE(c.cached_statements(), 3u);
}

TEST(statement_cache, shrinks_back_once_statements_are_returned) {
  auto c = open_memory(2);
  {
    auto a = c.prepare(select(1));
    auto b = c.prepare(select(2));
    auto d = c.prepare(select(3));
    ASSERT_TRUE(a && b && d);
    EXPECT_EQ(c.cached_statements(), 3u);  // all in use: none may go
  }
  value_of(c, select(4));
  EXPECT_EQ(c.cached_statements(), 2u);
}

TEST(sqlite_errors, carry_the_extended_code_and_the_message) {
  auto c = open_memory(8);
  ASSERT_FALSE(c.exec("CREATE TABLE t (x INTEGER CHECK (x > 0))"));
  auto s = c.prepare("INSERT INTO t VALUES (?1)");
  ASSERT_TRUE(s);
  s->bind(1, std::int64_t{-1});
  auto ec = s->run();
  ASSERT_TRUE(ec);
  EXPECT_EQ(&ec.category(), &sqlite_category());
  EXPECT_EQ(ec.value(), SQLITE_CONSTRAINT_CHECK);
  EXPECT_TRUE(is_constraint(ec));
  EXPECT_NE(c.error_message().find("CHECK constraint failed"), std::string::npos)
      << c.error_message();
  auto bad = c.prepare("SELEKT 1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(primary_code(bad.error()), SQLITE_ERROR);
  EXPECT_FALSE(is_constraint(std::make_error_code(std::errc::io_error)));
}

TEST(sqlite_binds, empty_text_and_blob_are_not_null) {
  auto c = open_memory(8);
  auto s = c.prepare("SELECT ?1 IS NULL, ?2 IS NULL, length(?1), length(?2)");
  ASSERT_TRUE(s);
  s->bind_text(1, std::string_view());
  s->bind_blob(2, std::string_view());
  auto row = s->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(s->int64_at(0), 0);
  EXPECT_EQ(s->int64_at(1), 0);
  EXPECT_EQ(s->int64_at(2), 0);
}

std::string twice(double d) {
  return std::to_string(static_cast<long long>(d * 2));
}

TEST(sqlite_functions, a_real_formatter_maps_null_to_null) {
  auto c = open_memory(8);
  ASSERT_FALSE(c.define_real_formatter("twice", twice));
  auto s = c.prepare("SELECT twice(21.0), twice(NULL) IS NULL");
  ASSERT_TRUE(s);
  auto row = s->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(s->text_at(0), "42");
  EXPECT_EQ(s->int64_at(1), 1);
}

TEST(sqlite_store_factory, fails_with_sqlites_code_and_message) {
  auto s = store::make_sqlite_store({"/nonexistent-dir-for-sluice/sub/store.db", 1});
  ASSERT_FALSE(s);
  EXPECT_EQ(&s.error().category(), &sqlite_category());
  EXPECT_EQ(primary_code(s.error()), SQLITE_CANTOPEN);
  EXPECT_EQ(s.error().message(), "unable to open database file");
}

}  // namespace
}  // namespace sluice::sqlite
