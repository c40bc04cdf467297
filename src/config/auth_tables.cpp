// The tables inside [auth] (issue 12): [auth.rates] (records/s per scope)
// and [[auth.client_certs]] (client certificates as principals). Scalar keys
// of [auth] are sections.cpp's; these are tables, so they have no
// SLUICE_AUTH_* overrides.

#include <algorithm>
#include <set>

#include "config/reader.hpp"

namespace sluice::config::detail {
namespace {

constexpr std::int64_t k_max_rate = 1'000'000'000;

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  });
}

// The rate value of [auth.rates] or of a client_certs entry.
std::uint64_t rate_of(const context& ctx, const toml::node& v, const std::string& key) {
  const auto* n = v.as_integer();
  if (n == nullptr) fail(ctx, line_of(v), key, "expected a non-negative integer (records per second)");
  if (n->get() < 0 || n->get() > k_max_rate) {
    fail(ctx, line_of(v), key, "must be between 0 and " + std::to_string(k_max_rate));
  }
  return static_cast<std::uint64_t>(n->get());
}

std::string string_of(const context& ctx, const toml::node& v, const std::string& key) {
  const auto* s = v.as_string();
  if (s == nullptr) fail(ctx, line_of(v), key, "expected a string");
  if (!printable(s->get())) fail(ctx, line_of(v), key, "must be printable text");
  return s->get();
}

void read_rates(const context& ctx, const toml::node& node, auth_config& a) {
  const auto* table = node.as_table();
  if (table == nullptr) fail(ctx, line_of(node), "auth.rates", "expected a table ([auth.rates])");
  for (const auto& [k, v] : *table) {
    const std::string key = "auth.rates." + in_quotes(k.str());
    if (!is_scope(k.str())) {
      fail(ctx, k.source().begin.line, key,
           "not a scope (publish:<resource>, read:<resource>, publish:*, read:*, status, admin, "
           "metrics or *)");
    }
    a.rates[std::string(k.str())] = rate_of(ctx, v, key);
  }
}

void read_client_certs(const context& ctx, const toml::node& node, auth_config& a) {
  const auto* items = node.as_array();
  if (items == nullptr || !items->is_array_of_tables()) {
    fail(ctx, line_of(node), "auth.client_certs", "expected an array of tables ([[auth.client_certs]])");
  }
  std::set<std::string> names, identities;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& item = *items->get(i)->as_table();
    const std::string path = "auth.client_certs[" + std::to_string(i) + "]";
    client_cert_def def;
    for (const auto& [k, v] : item) {
      const std::string key = path + "." + std::string(k.str());
      if (k.str() == "subject") {
        def.subject = string_of(ctx, v, key);
        if (def.subject.empty()) fail(ctx, line_of(v), key, "must not be empty");
      } else if (k.str() == "san") {
        def.san = string_of(ctx, v, key);
        const bool typed = def.san.starts_with("DNS:") || def.san.starts_with("URI:") ||
                           def.san.starts_with("email:") || def.san.starts_with("IP:");
        if (!typed || def.san.find(':') + 1 == def.san.size()) {
          fail(ctx, line_of(v), key,
               "must be a typed name: \"DNS:<name>\", \"URI:<uri>\", \"email:<address>\" or "
               "\"IP:<address>\"");
        }
      } else if (k.str() == "name") {
        def.name = string_of(ctx, v, key);
        if (def.name.empty() || def.name.size() > 200) fail(ctx, line_of(v), key, "must be 1 to 200 characters");
      } else if (k.str() == "scopes") {
        const auto* list = v.as_array();
        if (list == nullptr) fail(ctx, line_of(v), key, "expected an array of scopes");
        for (const auto& s : *list) {
          auto scope = string_of(ctx, s, key);
          if (!is_scope(scope)) fail(ctx, line_of(s), key, in_quotes(scope) + " is not a scope");
          def.scopes.push_back(std::move(scope));
        }
        if (def.scopes.empty()) fail(ctx, line_of(v), key, "must name at least one scope");
      } else if (k.str() == "rate") {
        def.rate = rate_of(ctx, v, key);
      } else {
        fail(ctx, k.source().begin.line, key, "unknown key (subject, san, name, scopes, rate)");
      }
    }
    const auto line = line_of(item);
    if (def.subject.empty() == def.san.empty()) {
      fail(ctx, line, path, "needs exactly one of subject and san");
    }
    if (def.scopes.empty()) fail(ctx, line, path + ".scopes", "is required");
    const std::string identity = def.subject.empty() ? "san " + def.san : "subject " + def.subject;
    if (!identities.insert(identity).second) fail(ctx, line, path, "a second entry for the " + identity);
    if (def.name.empty()) def.name = def.subject.empty() ? def.san : def.subject;
    if (!names.insert(def.name).second) fail(ctx, line, path + ".name", in_quotes(def.name) + " is used twice");
    a.client_certs.push_back(std::move(def));
  }
}

}  // namespace

bool is_scope(std::string_view s) {
  if (s == "*" || s == "status" || s == "admin" || s == "metrics") return true;
  for (std::string_view action : {"publish:", "read:"}) {
    if (s.starts_with(action)) {
      auto rest = s.substr(action.size());
      return rest == "*" || is_identifier(rest);
    }
  }
  return false;
}

bool read_auth_table(const context& ctx, std::string_view key, const toml::node& value,
                     auth_config& a) {
  if (key == "rates") {
    read_rates(ctx, value, a);
  } else if (key == "client_certs") {
    read_client_certs(ctx, value, a);
  } else {
    return false;
  }
  return true;
}

void check_auth_tables(const context& ctx, const config& cfg) {
  auto named = [&](std::string_view scope) {
    auto colon = scope.find(':');
    if (colon == std::string_view::npos) return true;
    auto resource = scope.substr(colon + 1);
    return resource == "*" || cfg.find_resource(resource) != nullptr;
  };
  for (const auto& [scope, rate] : cfg.auth.rates) {
    if (!named(scope)) {
      fail(ctx, 0, "auth.rates." + in_quotes(scope), "no such resource is configured");
    }
  }
  for (std::size_t i = 0; i < cfg.auth.client_certs.size(); ++i) {
    for (const auto& scope : cfg.auth.client_certs[i].scopes) {
      if (!named(scope)) {
        fail(ctx, 0, "auth.client_certs[" + std::to_string(i) + "].scopes",
             in_quotes(scope) + ": no such resource is configured");
      }
    }
  }
  if (!cfg.auth.client_certs.empty() && cfg.http.tls_client_ca_file.empty()) {
    fail(ctx, 0, "auth.client_certs",
         "needs http.tls_client_ca_file (only certificates verified against it are mapped)");
  }
}

}  // namespace sluice::config::detail
