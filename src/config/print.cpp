// The effective configuration as TOML (`sluice config check`): the settings
// tables of sections.cpp read back through their getters, so every key a
// section accepts is printed and none is listed twice.

#include <array>
#include <charconv>
#include <sstream>
#include <stdexcept>

#include "config/reader.hpp"

namespace sluice::config {
namespace {

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          static constexpr char hex[] = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string number(double x) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  std::string s(buf.data(), ec == std::errc{} ? end : buf.data());
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // stays a TOML float
  return s;
}

bool names_secret(std::string_view key) {
  for (std::string_view word : {"password", "secret", "pepper", "token"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

std::string value_text(std::string_view key, const detail::scalar& v,
                       const std::function<std::string(std::string_view)>& mask_url) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (key == "url" || key.ends_with("_url")) return toml_string(mask_url(*s));
    if (key.ends_with("_file")) return toml_string(*s);  // a path; the file is never read here
    if (names_secret(key) && !s->empty()) return toml_string("***");
    return toml_string(*s);
  }
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return number(std::get<double>(v));
}

std::string toml_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

// [auth.rates] and [[auth.client_certs]] (auth_tables.cpp), right after [auth].
void print_auth_tables(std::ostringstream& out, const auth_config& a) {
  if (!a.rates.empty()) {
    out << "\n[auth.rates]\n";
    for (const auto& [scope, rate] : a.rates) out << toml_string(scope) << " = " << rate << "\n";
  }
  for (const auto& c : a.client_certs) {
    out << "\n[[auth.client_certs]]\n";
    if (!c.subject.empty()) out << "subject = " << toml_string(c.subject) << "\n";
    if (!c.san.empty()) out << "san = " << toml_string(c.san) << "\n";
    out << "name = " << toml_string(c.name) << "\nscopes = " << toml_strings(c.scopes) << "\n";
    if (c.rate) out << "rate = " << *c.rate << "\n";
  }
}

}  // namespace

std::string effective_toml(const config& cfg,
                           const std::function<std::string(std::string_view)>& mask_url) {
  std::ostringstream out;
  out << "# effective configuration";
  if (!cfg.source.empty()) out << " of " << cfg.source.string();
  out << " (defaults and SLUICE_* overrides applied, secrets masked)\n";
  config copy = cfg;  // the settings bind to a mutable config; only read here
  for (const auto& sec : detail::sections_of(copy)) {
    out << "\n[" << sec.name << "]\n";
    for (const auto& s : sec.settings) {
      // Every setting reads back (sections.cpp's constructors give each a
      // getter); one without would be a key config check cannot show.
      if (!s.get) throw std::logic_error("config setting " + sec.name + "." + s.key + " has no getter");
      if (s.kind == detail::scalar_kind::list) {
        out << s.key << " = [";
        const auto items = cors_origin_list(std::get<std::string>(s.get()));  // split at commas
        for (std::size_t i = 0; i < items.size(); ++i) out << (i ? ", " : "") << toml_string(items[i]);
        out << "]\n";
        continue;
      }
      out << s.key << " = " << value_text(s.key, s.get(), mask_url) << "\n";
    }
    if (sec.name == "auth") print_auth_tables(out, cfg.auth);
  }
  for (const auto& r : cfg.resources) {
    out << "\n[[resources]]\nname = " << toml_string(r.name) << "\n";
    out << "default_limit = " << r.default_limit << "\nmax_limit = " << r.max_limit << "\n";
    for (const auto& f : r.fields) {
      out << "\n  [[resources.fields]]\n  name = " << toml_string(f.name) << "\n";
      out << "  type = " << toml_string(to_string(f.type)) << "\n";
      out << "  required = " << (f.required ? "true" : "false") << "\n";
      if (f.min_length) out << "  min_length = " << *f.min_length << "\n";
      if (f.max_length) out << "  max_length = " << *f.max_length << "\n";
      if (f.minimum) out << "  minimum = " << number(*f.minimum) << "\n";
      if (f.maximum) out << "  maximum = " << number(*f.maximum) << "\n";
      out << "  index = " << (f.indexed ? "true" : "false") << "\n";
    }
  }
  for (const auto& s : cfg.subscriptions) {
    out << "\n[[subscriptions]]\nname = " << toml_string(s.name) << "\nresource = " << toml_string(s.resource)
        << "\ntable = " << toml_string(s.table) << "\n";
  }
  return out.str();
}

}  // namespace sluice::config
