// Message ids: UUIDv7 layout and ordering, UUIDv5 determinism, is_uuid.

#include "model/uuid.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sluice::model {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is not canonical output
}

std::uint64_t unix_ms_of(const std::string& id) {
  std::uint64_t ms = 0;
  for (char c : id.substr(0, 8) + id.substr(9, 4)) ms = ms * 16 + hex_value(c);
  return ms;
}

void expect_canonical(const std::string& id, char version) {
  ASSERT_EQ(id.size(), 36u) << id;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      EXPECT_EQ(id[i], '-') << id;
    } else {
      EXPECT_GE(hex_value(id[i]), 0) << "not lowercase hex: " << id;
    }
  }
  EXPECT_EQ(id[14], version) << id;
  // Variant 10xx: the first hex digit of the fourth group is 8, 9, a or b.
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  EXPECT_TRUE(is_uuid(id));
}

TEST(uuid_v7, layout) {
  using namespace std::chrono;
  const auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::string id = uuid_v7();
  const auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  expect_canonical(id, '7');
  // The counter may borrow a few ms from the future under load; never the past.
  EXPECT_GE(unix_ms_of(id), static_cast<std::uint64_t>(before));
  EXPECT_LE(unix_ms_of(id), static_cast<std::uint64_t>(after) + 100);
}

TEST(uuid_v7, strictly_increasing_over_ten_thousand) {
  std::vector<std::string> ids;
  ids.reserve(10'000);
  for (int i = 0; i < 10'000; ++i) ids.push_back(uuid_v7());
  for (std::size_t i = 1; i < ids.size(); ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  }
  for (const auto& id : ids) expect_canonical(id, '7');
}

TEST(uuid_v7, unique_across_threads) {
  constexpr int k_threads = 4;
  constexpr int k_each = 5'000;
  std::vector<std::vector<std::string>> per(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&per, t] {
      per[t].reserve(k_each);
      for (int i = 0; i < k_each; ++i) per[t].push_back(uuid_v7());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& ids : per) {
    for (std::size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
    all.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(k_threads * k_each));
}

TEST(uuid_v5, deterministic_and_well_formed) {
  const std::string a = uuid_v5("users", "key-1", 0);
  EXPECT_EQ(a, uuid_v5("users", "key-1", 0));
  expect_canonical(a, '5');
}

TEST(uuid_v5, pinned_value) {
  // Pins the namespace and name layout: a change here re-keys every
  // Idempotency-Key in flight. Computed with Python:
  //   uuid.uuid5(uuid.UUID("649102ce-4741-40c5-a6c3-bb2024b9d017"), "users\nkey-1\n0")
  EXPECT_EQ(uuid_v5("users", "key-1", 0), "b7b343a4-f1d5-59bc-b643-562f3622fe25");
}

TEST(uuid_v5, differs_by_each_input) {
  const std::set<std::string> ids = {
      uuid_v5("users", "key-1", 0),  uuid_v5("orders", "key-1", 0), uuid_v5("users", "key-2", 0),
      uuid_v5("users", "key-1", 1),  uuid_v5("users", "key-1", 10), uuid_v5("users", "", 0),
      uuid_v5("users", "key-11", 0),
  };
  EXPECT_EQ(ids.size(), 7u);
}

// Issue 12: idempotency keys are scoped by principal. No principal (auth
// mode none) keeps the ids Sluice gave before; each principal gets its own.
TEST(uuid_v5, scoped_by_principal) {
  EXPECT_EQ(uuid_v5("", "users", "key-1", 0), "b7b343a4-f1d5-59bc-b643-562f3622fe25");
  // uuid.uuid5(uuid.UUID("649102ce-4741-40c5-a6c3-bb2024b9d017"), "4:key1\nusers\nkey-1\n0")
  EXPECT_EQ(uuid_v5("key1", "users", "key-1", 0), "88ef4156-92ff-5f6e-9ccf-70cfc18d84e2");
  const std::set<std::string> ids = {
      uuid_v5("", "users", "key-1", 0),      uuid_v5("a", "users", "key-1", 0),
      uuid_v5("b", "users", "key-1", 0),     uuid_v5("ab", "users", "key-1", 0),
      uuid_v5("a", "orders", "key-1", 0),    uuid_v5("a", "users", "key-2", 0),
      // A principal id holding the separator cannot forge another's name.
      uuid_v5("a\nusers", "x", "key-1", 0), uuid_v5("a", "users\nx", "key-1", 0),
  };
  EXPECT_EQ(ids.size(), 8u);
}

TEST(is_uuid, table) {
  const std::pair<const char*, bool> cases[] = {
      {"649102ce-4741-40c5-a6c3-bb2024b9d017", true},
      {"649102CE-4741-40C5-A6C3-BB2024B9D017", true},
      {"00000000-0000-0000-0000-000000000000", true},
      {"", false},
      {"649102ce474140c5a6c3bb2024b9d017", false},
      {"649102ce-4741-40c5-a6c3-bb2024b9d01", false},
      {"649102ce-4741-40c5-a6c3-bb2024b9d0177", false},
      {"649102ce-4741-40c5-a6c3_bb2024b9d017", false},
      {"649102cg-4741-40c5-a6c3-bb2024b9d017", false},
      {"{649102ce-4741-40c5-a6c3-bb2024b9d01}", false},
      {"649102ce-474-140c5-a6c3-bb2024b9d017", false},
  };
  for (const auto& [s, ok] : cases) EXPECT_EQ(is_uuid(s), ok) << s;
}

}  // namespace
}  // namespace sluice::model
