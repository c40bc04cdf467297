#pragma once
// Internal to src/config: the pieces config.cpp, sections.cpp, resources.cpp
// and env.cpp share. Not part of the configuration interface (config.hpp);
// nothing outside this folder includes it, so toml++ types stay here.

#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace sluice::config::detail {

// Where errors are reported: the file name as given to load()/parse().
struct context {
  std::string source;
};

// Throws config_error "source:line: key: detail" ("source: key: detail" when
// line is 0, i.e. unknown).
[[noreturn]] void fail(const context& ctx, std::uint32_t line, std::string_view key,
                       std::string_view detail);

// The first line of a node (0 when the node has no source position).
std::uint32_t line_of(const toml::node& n);

// The value of one scalar setting, whether it came from TOML or from the
// environment. Settings take exactly one of these kinds.
// A `list` setting holds its items as one comma-separated string: TOML
// gives it as an array of strings (or that string), the environment as the
// string.
using scalar = std::variant<std::string, bool, std::int64_t, double>;
enum class scalar_kind { string, boolean, integer, number, list };

// One scalar key of a section. `apply` stores a value of `kind` into the
// config it was bound to, or returns why the value is refused ("must be
// between 1 and 1000"). `expected` describes the kind for type errors
// ("a non-negative integer"). `get` reads the bound value back (the
// effective configuration that `sluice config check` prints).
struct setting {
  std::string key;
  scalar_kind kind;
  std::string expected;
  std::function<std::optional<std::string>(const scalar&)> apply;
  std::function<scalar()> get;
};

// A [section] of scalar settings, bound to one config object.
struct section {
  std::string name;
  std::vector<setting> settings;
  const setting* find(std::string_view key) const;
};

// The http/store/broker/pipeline/log/slo sections, bound to `cfg`. The bindings
// refer to `cfg`; REQUIRES: cfg outlives the result.
std::vector<section> sections_of(config& cfg);

// Converts a TOML node to the setting's kind; nullopt when the TOML type is wrong.
std::optional<scalar> scalar_from_toml(const toml::node& n, scalar_kind kind);
// Converts environment text to the kind (integers: decimal digits only;
// numbers: digits with an optional fraction, e.g. 0.01; booleans:
// "true"/"false"); nullopt when it does not parse.
std::optional<scalar> scalar_from_text(std::string_view text, scalar_kind kind);

// Reads [[resources]]; `node` is nullptr when the key is absent.
std::vector<resource_def> read_resources(const context& ctx, const toml::node* node);
// Reads [[subscriptions]] against the resources already read, or derives the
// default one-per-resource subscriptions when `node` is nullptr.
std::vector<subscription_def> read_subscriptions(const context& ctx, const toml::node* node,
                                                 const std::vector<resource_def>& resources);

// Applies SLUICE_<SECTION>_<KEY> overrides to every scalar setting.
void apply_env(config& cfg, const env_lookup& env);

// Checks that span settings (e.g. retry_min <= retry_max). Runs after the
// environment overrides so the final values are compared.
void check_cross_settings(const context& ctx, const config& cfg);

// [a-z][a-z0-9_]{0,62}: resource, field and table names (safe as SQL identifiers).
bool is_identifier(std::string_view s);

// The scope grammar of auth/principal.hpp (valid_scope): publish:<resource>,
// read:<resource>, publish:*, read:*, status, admin, metrics, *.
bool is_scope(std::string_view s);

// Reads one table-valued key of [auth] ("rates", "client_certs") into `a`;
// false when `key` is none of them (the caller reports it).
bool read_auth_table(const context& ctx, std::string_view key, const toml::node& value,
                     auth_config& a);

// After resources and environment overrides: every scope of [auth.rates] and
// [[auth.client_certs]] names a configured resource, and client_certs needs
// http.tls_client_ca_file.
void check_auth_tables(const context& ctx, const config& cfg);

}  // namespace sluice::config::detail
