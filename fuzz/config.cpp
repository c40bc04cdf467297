// Fuzz target: TOML text through config::parse (toml++ then every section,
// resource and subscription check). A config that loads must load again from
// its effective_toml (what `sluice config check` prints), to the same text.

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto same = [](std::string_view s) { return std::string(s); };
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string printed;
  try {
    auto cfg = sluice::config::parse(text, "fuzz.toml", no_env);
    printed = sluice::config::effective_toml(cfg, same);
  } catch (const sluice::config::config_error&) {
    return 0;
  }
  try {
    auto again = sluice::config::parse(printed, "printed.toml", no_env);
    auto reprinted = sluice::config::effective_toml(again, same);
    auto strip = [](const std::string& s) { return s.substr(s.find('\n')); };  // the source line
    if (strip(reprinted) != strip(printed)) std::abort();
  } catch (const sluice::config::config_error&) {
    std::abort();  // what config check prints must load
  }
  return 0;
}
