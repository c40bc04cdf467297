// The versioned page cache: versions make old pages unreachable, the byte
// bound holds, least recently used pages go first, stats add up.

#include <gtest/gtest.h>

#include <thread>

#include "cache/page_cache.hpp"
#include "cache/version_clock.hpp"

namespace sluice::cache {
namespace {

std::shared_ptr<const page> make_page(std::string body) {
  return std::make_shared<page>(page{std::move(body), "\"etag\"", ""});
}

TEST(page_cache, hit_only_at_the_version_it_was_built_at) {
  page_cache c(1 << 20, 1);
  c.put("q", 5, make_page("v5"));
  auto hit = c.get("q", 5);
  ASSERT_TRUE(hit);
  EXPECT_EQ((*hit)->body, "v5");
  EXPECT_FALSE(c.get("q", 6));  // the table moved on: the page is gone
  EXPECT_FALSE(c.get("q", 5));  // …for good
  auto s = c.snapshot();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.invalidations, 1u);
  EXPECT_EQ(s.entries, 0u);
  EXPECT_EQ(s.bytes, 0u);
}

TEST(page_cache, an_older_fill_never_replaces_a_newer_one) {
  page_cache c(1 << 20, 1);
  c.put("q", 7, make_page("v7"));
  c.put("q", 6, make_page("v6"));  // a slow reader finishing late
  ASSERT_TRUE(c.get("q", 7));
  EXPECT_EQ((*c.get("q", 7))->body, "v7");
}

TEST(page_cache, stays_within_its_byte_bound_evicting_least_recently_used) {
  page_cache c(10'000, 1);
  std::string body(900, 'x');
  for (int i = 0; i < 100; ++i) {
    c.put("k" + std::to_string(i), 1, make_page(body));
    EXPECT_LE(c.snapshot().bytes, 10'000u);
    if (i >= 1) {
      ASSERT_TRUE(c.get("k0", 1)) << i;  // k0 kept warm
    }
  }
  EXPECT_TRUE(c.get("k0", 1));
  EXPECT_TRUE(c.get("k99", 1));
  EXPECT_FALSE(c.get("k1", 1));
  EXPECT_GT(c.snapshot().evictions, 80u);
}

TEST(page_cache, pages_larger_than_the_budget_and_a_disabled_cache_store_nothing) {
  page_cache small(1000, 1);
  small.put("big", 1, make_page(std::string(5000, 'x')));
  EXPECT_FALSE(small.get("big", 1));
  page_cache off(0);
  off.put("q", 1, make_page("x"));
  EXPECT_FALSE(off.get("q", 1));
}

TEST(page_cache, concurrent_use_keeps_counts_exact) {
  page_cache c(1 << 20, 8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 5000; ++i) {
        std::string key = "k" + std::to_string((t * 7 + i) % 50);
        if (!c.get(key, i / 100)) c.put(key, i / 100, make_page("b"));
      }
    });
  }
  for (auto& th : threads) th.join();
  auto s = c.snapshot();
  EXPECT_EQ(s.hits + s.misses, 20'000u);
  EXPECT_LE(s.entries, 50u);
}

TEST(version_clock, zero_staleness_never_trusts_a_remembered_version) {
  version_clock strict(std::chrono::milliseconds(0));
  strict.observe("users", 3);
  EXPECT_FALSE(strict.fresh("users"));
  version_clock relaxed(std::chrono::hours(1));
  EXPECT_FALSE(relaxed.fresh("users"));
  relaxed.observe("users", 3);
  relaxed.observe("users", 2);  // an older read arriving late does not win
  EXPECT_EQ(relaxed.fresh("users"), 3);
}

}  // namespace
}  // namespace sluice::cache
