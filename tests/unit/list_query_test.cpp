// api/list_query: the cache key of a page query.

#include <gtest/gtest.h>

#include "api/list_query.hpp"

namespace sluice::api {
namespace {

store::page_query with_number(double x) {
  store::page_query q;
  q.filters.push_back({"score", model::value{x}});
  return q;
}

// Issue 11 #14: numbers in the key are exact (shortest round-trip), so two
// filters that differ past the sixth decimal never share a cached page.
TEST(cache_key, numbers_are_exact) {
  const std::pair<double, double> distinct[] = {
      {0.1234561, 0.1234564},
      {1e-7, 2e-7},
      {123456789.123456789, 123456789.12345682},
      {0.30000000000000004, 0.3},
      {1e300, 1.0000000000000002e300},
  };
  for (const auto& [a, b] : distinct) {
    ASSERT_NE(a, b);
    EXPECT_NE(cache_key("t", with_number(a)), cache_key("t", with_number(b))) << a << " " << b;
  }
  EXPECT_EQ(cache_key("t", with_number(0.5)), cache_key("t", with_number(0.5)));
}

}  // namespace
}  // namespace sluice::api
