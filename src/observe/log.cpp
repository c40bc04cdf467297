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

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
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
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

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
