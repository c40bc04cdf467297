// Shared helpers for reading configuration: error formatting and the
// conversion of TOML nodes and environment text into setting values.

#include "config/reader.hpp"

#include <charconv>

namespace sluice::config::detail {

void fail(const context& ctx, std::uint32_t line, std::string_view key, std::string_view detail) {
  std::string msg = ctx.source;
  if (line != 0) {
    msg += ':';
    msg += std::to_string(line);
  }
  msg += ": ";
  if (!key.empty()) {
    msg += key;
    msg += ": ";
  }
  msg += detail;
  throw config_error(msg);
}

std::uint32_t line_of(const toml::node& n) {
  return n.source().begin.line;
}

const setting* section::find(std::string_view key) const {
  for (const auto& s : settings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::optional<scalar> scalar_from_toml(const toml::node& n, scalar_kind kind) {
  // Exact TOML types only: 1.0 is not an integer, "true" is not a boolean.
  switch (kind) {
    case scalar_kind::string:
      if (const auto* v = n.as_string()) return scalar{v->get()};
      return std::nullopt;
    case scalar_kind::boolean:
      if (const auto* v = n.as_boolean()) return scalar{v->get()};
      return std::nullopt;
    case scalar_kind::integer:
      if (const auto* v = n.as_integer()) return scalar{v->get()};
      return std::nullopt;
    case scalar_kind::number:
      // A number may be written as an integer (error_rate = 1 is a number).
      if (const auto* v = n.as_floating_point()) return scalar{v->get()};
      if (const auto* v = n.as_integer()) return scalar{static_cast<double>(v->get())};
      return std::nullopt;
    case scalar_kind::list: {
      if (const auto* v = n.as_string()) return scalar{v->get()};
      const auto* items = n.as_array();
      if (items == nullptr) return std::nullopt;
      std::string joined;
      for (const auto& item : *items) {
        const auto* text = item.as_string();
        if (text == nullptr) return std::nullopt;
        if (!joined.empty()) joined += ", ";
        joined += text->get();
      }
      return scalar{joined};
    }
  }
  return std::nullopt;
}

std::optional<scalar> scalar_from_text(std::string_view text, scalar_kind kind) {
  switch (kind) {
    case scalar_kind::string:
    case scalar_kind::list:
      return scalar{std::string(text)};
    case scalar_kind::boolean:
      if (text == "true") return scalar{true};
      if (text == "false") return scalar{false};
      return std::nullopt;
    case scalar_kind::integer: {
      // Digits only: no sign, blanks, hex or exponent. Every integer setting is
      // non-negative, so a '-' is refused as a type error, as in TOML.
      if (text.empty()) return std::nullopt;
      for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
      }
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
      return scalar{v};
    }
    case scalar_kind::number: {
      // Digits and at most one '.': no sign, exponent, blanks, inf or nan.
      if (text.empty() || text.front() == '.' || text.back() == '.') return std::nullopt;
      int dots = 0;
      for (char c : text) {
        if (c == '.') {
          ++dots;
        } else if (c < '0' || c > '9') {
          return std::nullopt;
        }
      }
      if (dots > 1) return std::nullopt;
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
      return scalar{v};
    }
  }
  return std::nullopt;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace sluice::config::detail
