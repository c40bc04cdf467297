// Environment overrides: SLUICE_<SECTION>_<KEY> for every scalar setting,
// checked exactly like the TOML value it replaces. Values are never echoed in
// errors: URLs may carry credentials.

#include <cctype>
#include <cstdlib>

#include "config/reader.hpp"

namespace sluice::config {

std::optional<std::string> process_env(const std::string& name) {
  // getenv is safe here: configuration is loaded at start-up, before any
  // thread could call setenv.
  const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

namespace detail {

namespace {

std::string variable_name(std::string_view section, std::string_view key) {
  std::string name = "SLUICE_";
  for (char c : section) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  name += '_';
  for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace

void apply_env(config& cfg, const env_lookup& env) {
  if (!env) return;
  for (const auto& sec : sections_of(cfg)) {
    for (const auto& s : sec.settings) {
      const std::string var = variable_name(sec.name, s.key);
      auto text = env(var);
      if (!text) continue;
      const std::string dotted = sec.name + "." + s.key;
      auto value = scalar_from_text(*text, s.kind);
      if (!value) {
        throw config_error(std::string("environment variable ").append(var).append(": ")
                               .append(dotted).append(": expected ").append(s.expected));
      }
      if (auto why = s.apply(*value)) {
        throw config_error(std::string("environment variable ").append(var).append(": ")
                               .append(dotted).append(": ").append(*why));
      }
    }
  }
}

}  // namespace detail
}  // namespace sluice::config
