// Loading a configuration: parse the TOML, read each section strictly (no
// unknown keys, exact types, ranges), then resources and subscriptions, then
// the environment overrides, then the checks that span settings.

#include <fstream>
#include <sstream>

#include "config/reader.hpp"

namespace sluice::config {

std::string_view to_string(field_type t) {
  switch (t) {
    case field_type::string:
      return "string";
    case field_type::email:
      return "email";
    case field_type::integer:
      return "integer";
    case field_type::number:
      return "number";
    case field_type::boolean:
      return "boolean";
    case field_type::timestamp:
      return "timestamp";
  }
  return "unknown";
}

const field_def* resource_def::find(std::string_view field) const {
  for (const auto& f : fields) {
    if (f.name == field) return &f;
  }
  return nullptr;
}

const resource_def* config::find_resource(std::string_view name) const {
  for (const auto& r : resources) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::vector<std::string> cors_origin_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    auto first = item.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    auto last = item.find_last_not_of(" \t");
    out.emplace_back(item.substr(first, last - first + 1));
  }
  return out;
}

namespace {

using detail::context;
using detail::fail;
using detail::line_of;

void read_section(const context& ctx, const detail::section& sec, const toml::node& node,
                  config& cfg) {
  const auto* table = node.as_table();
  if (table == nullptr) fail(ctx, line_of(node), sec.name, "expected a table");
  for (const auto& [k, v] : *table) {
    // [auth.rates], [[auth.client_certs]]: tables, read by auth_tables.cpp.
    if (sec.name == "auth" && detail::read_auth_table(ctx, k.str(), v, cfg.auth)) continue;
    const std::string dotted = sec.name + "." + std::string(k.str());
    const auto* s = sec.find(k.str());
    if (s == nullptr) fail(ctx, k.source().begin.line, dotted, "unknown key");
    auto value = detail::scalar_from_toml(v, s->kind);
    if (!value) fail(ctx, line_of(v), dotted, "expected " + s->expected);
    if (auto why = s->apply(*value)) fail(ctx, line_of(v), dotted, *why);
  }
}

// scheme://user:password@host… (a password in the authority part).
bool url_has_password(const std::string& url) {
  auto start = url.find("://");
  if (start == std::string::npos) return false;
  start += 3;
  auto end = url.find_first_of("/?#", start);
  auto authority = std::string_view(url).substr(start, end == std::string::npos ? end : end - start);
  auto at = authority.rfind('@');
  if (at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) {
    return true;
  }
  return url.find("password=") != std::string::npos;  // libpq's ?password=…
}

config build(const toml::table& root, const context& ctx, const env_lookup& env) {
  config cfg;
  cfg.source = ctx.source;
  auto sections = detail::sections_of(cfg);
  const toml::node* resources = nullptr;
  const toml::node* subscriptions = nullptr;
  for (const auto& [k, v] : root) {
    if (k.str() == "resources") {
      resources = &v;
    } else if (k.str() == "subscriptions") {
      subscriptions = &v;
    } else {
      const detail::section* sec = nullptr;
      for (const auto& s : sections) {
        if (s.name == k.str()) sec = &s;
      }
      if (sec == nullptr) {
        fail(ctx, k.source().begin.line, k.str(), v.is_table() ? "unknown section" : "unknown key");
      }
      read_section(ctx, *sec, v, cfg);
    }
  }
  cfg.resources = detail::read_resources(ctx, resources);
  cfg.subscriptions = detail::read_subscriptions(ctx, subscriptions, cfg.resources);
  // Secrets never come from the config text (an environment override may
  // carry one): refuse a store URL with a password before the overrides.
  if (url_has_password(cfg.store.url)) {
    const toml::node* url = root["store"]["url"].node();
    fail(ctx, url ? line_of(*url) : 0, "store.url",
         "must not contain a password; use SLUICE_STORE_PASSWORD, PGPASSWORD, PGPASSFILE or "
         "store.password_file");
  }
  if (url_has_password(cfg.store.read_url)) {
    const toml::node* url = root["store"]["read_url"].node();
    fail(ctx, url ? line_of(*url) : 0, "store.read_url",
         "must not contain a password; it uses store.url's (SLUICE_STORE_PASSWORD, PGPASSWORD, "
         "PGPASSFILE or store.password_file)");
  }
  detail::apply_env(cfg, env);
  detail::check_cross_settings(ctx, cfg);
  detail::check_auth_tables(ctx, cfg);
  return cfg;
}

}  // namespace

config parse(std::string_view toml_text, const std::string& source, const env_lookup& env) {
  const context ctx{source};
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    throw config_error(source + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                       ": " + std::string(e.description()));
  }
  return build(root, ctx, env);
}

config load(const std::filesystem::path& file, const env_lookup& env) {
  // Read the text ourselves so that a missing file is reported like any other
  // configuration error, and parse() is the one path for both.
  std::ifstream in(file, std::ios::binary);
  if (!in) throw config_error(file.string() + ": cannot open the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw config_error(file.string() + ": cannot read the configuration file");
  config cfg = parse(text.str(), file.string(), env);
  cfg.source = file;
  return cfg;
}

}  // namespace sluice::config
