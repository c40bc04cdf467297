// Fuzz target: the query string of GET /v1/{resource} through
// api::parse_list_query (operators, groups, select, order, limit, the keyset
// position and its signed cursor) and, when it
// parses, the cache key and the next-page parameters. A refusal must name
// the offending parameter.

#include <cstdint>
#include <cstdlib>
#include <optional>

#include "api/list_query.hpp"
#include "config/config.hpp"

namespace {

const sluice::config::resource_def& resource() {
  static const auto cfg = sluice::config::parse(R"(
[[resources]]
name = "things"
  [[resources.fields]]
  name = "name"
  max_length = 20
  [[resources.fields]]
  name = "email"
  type = "email"
  [[resources.fields]]
  name = "n"
  type = "integer"
  index = true
  [[resources.fields]]
  name = "x"
  type = "number"
  [[resources.fields]]
  name = "ok"
  type = "boolean"
  [[resources.fields]]
  name = "at"
  type = "timestamp"
)",
                                                "fuzz.toml",
                                                [](const std::string&) -> std::optional<std::string> {
                                                  return std::nullopt;
                                                });
  return cfg.resources.front();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::http::field_error error;
  auto q = sluice::api::parse_list_query(resource(), text, error);
  if (!q) {
    if (error.detail.empty()) std::abort();
    return 0;
  }
  if (q->query.limit == 0 || q->query.limit > resource().max_limit) std::abort();
  if (q->query.filters.size() > sluice::api::max_filters) std::abort();
  std::size_t conditions = q->query.filters.size();
  for (const auto& g : q->query.groups) conditions += g.conditions.size();
  if (conditions > sluice::api::max_filters) std::abort();
  (void)sluice::api::cache_key("things", q->query);
  // The next-page link (reads.cpp: next_page_target) parses back to the same
  // query with that position: same page, same cache key. A NULL value with
  // id 1 is a position in every order.
  const sluice::store::keyset last{{}, 1};
  std::string next = sluice::api::next_page_target("things", *q, last);
  next = next.substr(next.find('?') + 1);
  sluice::http::field_error again_error;
  auto again = sluice::api::parse_list_query(resource(), next, again_error);
  if (!again) std::abort();
  q->query.after = last;
  if (sluice::api::cache_key("things", again->query) != sluice::api::cache_key("things", q->query)) {
    std::abort();
  }
  return 0;
}
