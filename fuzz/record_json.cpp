// Fuzz target: a POST body through the strict one-pass JSON parse and record
// validation against a resource with every field type and rule. A record
// that validates must serialise to canonical JSON that parses and validates
// again to the same text (what the subscriber relies on).

#include <boost/json/value.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>

#include "api/request_parts.hpp"
#include "config/config.hpp"
#include "model/validate.hpp"

namespace {

const sluice::config::resource_def& resource() {
  static const auto cfg = sluice::config::parse(R"(
[[resources]]
name = "things"
  [[resources.fields]]
  name = "name"
  required = true
  min_length = 1
  max_length = 20
  [[resources.fields]]
  name = "email"
  type = "email"
  max_length = 320
  index = true
  [[resources.fields]]
  name = "n"
  type = "integer"
  minimum = -5
  maximum = 1000000
  [[resources.fields]]
  name = "x"
  type = "number"
  maximum = 1.5
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

void check_one(const boost::json::value& v, const std::string& prefix) {
  sluice::model::record rec;
  std::vector<sluice::model::problem> problems;
  if (!sluice::model::validate(resource(), v, prefix, rec, problems)) {
    if (problems.empty()) std::abort();  // a refusal always says why
    return;
  }
  auto text = sluice::model::to_json(resource(), rec);
  auto again = sluice::api::parse_strict_json(text, 64);
  if (again.error || again.duplicate_key) std::abort();
  sluice::model::record rec2;
  std::vector<sluice::model::problem> problems2;
  if (!sluice::model::validate(resource(), again.value, "", rec2, problems2)) std::abort();
  if (sluice::model::to_json(resource(), rec2) != text) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sluice::api::parse_strict_json(text, 64);
  if (parsed.error || parsed.duplicate_key) return 0;
  if (sluice::api::first_duplicate_key(text)) std::abort();  // the one pass missed one
  if (parsed.value.is_array()) {
    std::size_t i = 0;
    for (const auto& e : parsed.value.as_array()) check_one(e, "/" + std::to_string(i++));
  } else {
    check_one(parsed.value, "");
  }
  return 0;
}
