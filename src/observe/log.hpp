#pragma once
// Structured logs: one JSON object per line on stdout —
//   {"ts":"2026-11-29T09:00:00.123456Z","level":"info","msg":"…","route":"…",…}
// Fields never carry secrets or request bodies. Thread-safe.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sluice::observe {

enum class level { trace, debug, info, warn, error, off };

using field_value = std::variant<std::string_view, std::int64_t, double, bool>;
struct field {
  std::string_view key;
  field_value value;
  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  field(std::string_view k, bool v) : key(k), value(v) {}
  field(std::string_view k, double v) : key(k), value(v) {}
  template <class I, class = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
  field(std::string_view k, I v) : key(k), value(static_cast<std::int64_t>(v)) {}
};

// Sets the minimum level written ("trace" … "off"); unknown names keep "info".
void set_level(std::string_view name);
bool enabled(level l);

void write(level l, std::string_view msg, std::initializer_list<field> fields = {});
// Writes the buffered lines out now (lines below warn otherwise reach stdout
// within a second): for the lifecycle lines that supervisors and tests wait
// for ("listening", "stopping", "stopped"), which must not lag the event.
void flush();

inline void debug(std::string_view m, std::initializer_list<field> f = {}) { write(level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<field> f = {}) { write(level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<field> f = {}) { write(level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<field> f = {}) { write(level::error, m, f); }

// JSON string escaping (RFC 8259), appended to `out` with the quotes. Bytes
// that are not well-formed UTF-8 become U+FFFD, so the output is always valid
// UTF-8 JSON whatever a client sent.
void append_json_string(std::string& out, std::string_view s);

// `s` with every byte that is not well-formed UTF-8 replaced by U+FFFD: text
// from a client made safe to put into a JSON value (Boost.JSON serialises
// strings byte for byte).
std::string valid_utf8(std::string_view s);

}  // namespace sluice::observe
