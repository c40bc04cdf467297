// api/list_query: the cache key of a page query.

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "api/list_query.hpp"
#include "config/config.hpp"

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

// Found by fuzz/list_query (issue 12): Boost.URL 1.81's parse_query builds its
// view with strlen(data), reading past a query that is not NUL-terminated.
// Each query here ends just before an unreadable page, so the old code
// crashed with SIGSEGV; now each parses as itself and nothing more.
TEST(parse_list_query, a_query_is_not_read_past_its_end) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto cfg = config::parse("[[resources]]\nname = \"users\"\n  [[resources.fields]]\n  name = \"email\"\n",
                           "list_query_test.toml", no_env);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* bytes = static_cast<char*>(map);
  std::memset(bytes, 'a', page);  // no NUL before the guard page
  ASSERT_EQ(mprotect(bytes + page, page, PROT_NONE), 0);
  http::field_error error;
  auto empty = parse_list_query(cfg.resources.front(), std::string_view(bytes, 0), error);
  ASSERT_TRUE(empty.has_value()) << error.detail;
  EXPECT_EQ(empty->query.limit, cfg.resources.front().default_limit);
  const std::string text = "limit=7";
  char* at_end = bytes + page - text.size();
  std::memcpy(at_end, text.data(), text.size());
  auto seven = parse_list_query(cfg.resources.front(), std::string_view(at_end, text.size()), error);
  ASSERT_TRUE(seven.has_value()) << error.detail;
  EXPECT_EQ(seven->query.limit, 7u);
  munmap(map, 2 * page);
}

}  // namespace
}  // namespace sluice::api
