#include "observe/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

#include "core/clock.hpp"

namespace sluice::observe {
namespace {

std::atomic<int> min_level{static_cast<int>(level::info)};

constexpr const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};

// spdlog provides the thread-safe, buffered stdout sink; the line itself is
// ours, so that it is one well-formed JSON object whatever the message holds.
spdlog::logger& sink() {
  static auto logger = [] {
    auto l = std::make_shared<spdlog::logger>("sluice",
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    // Warnings and errors reach the terminal at once; the rest within a second.
    l->flush_on(spdlog::level::warn);
    spdlog::register_logger(l);
    spdlog::flush_every(std::chrono::seconds(1));
    return l;
  }();
  return *logger;
}

}  // namespace

void set_level(std::string_view name) {
  for (int i = 0; i < 6; ++i) {
    if (name == names[i]) min_level = i;
  }
}

bool enabled(level l) { return static_cast<int>(l) >= min_level.load(std::memory_order_relaxed); }

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no
// overlongs, no surrogates, nothing past U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c == 0xe0) n = 3, lo = 0xa0;
  else if (c == 0xed) n = 3, hi = 0x9f;
  else if (c >= 0xe1 && c <= 0xef) n = 3;
  else if (c == 0xf0) n = 4, lo = 0x90;
  else if (c >= 0xf1 && c <= 0xf3) n = 4;
  else if (c == 0xf4) n = 4, hi = 0x8f;
  else return 0;
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else if (std::size_t n = utf8_sequence(s, i)) {
          out.append(s.substr(i, n));
          i += n - 1;
        } else {
          out += "\\ufffd";  // a byte that is not UTF-8: replaced, never echoed
        }
    }
  }
  out += '"';
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (std::size_t n = utf8_sequence(s, i)) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
    }
  }
  return out;
}

void flush() { sink().flush(); }

void write(level l, std::string_view msg, std::initializer_list<field> fields) {
  if (!enabled(l) || l == level::off) return;
  std::string line;
  line.reserve(160);
  line += "{\"ts\":\"";
  line += format_rfc3339_us(now_us());
  line += "\",\"level\":\"";
  line += names[static_cast<int>(l)];
  line += "\",\"msg\":";
  append_json_string(line, msg);
  for (const auto& f : fields) {
    line += ',';
    append_json_string(line, f.key);
    line += ':';
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            append_json_string(line, v);
          } else if constexpr (std::is_same_v<T, bool>) {
            line += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, double>) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.6g", v);
            line += buf;
          } else {
            line += std::to_string(v);
          }
        },
        f.value);
  }
  line += '}';
  sink().info(line);
}

}  // namespace sluice::observe
