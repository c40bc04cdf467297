#include "observe/trace.hpp"

#include <random>

namespace sluice::observe {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

std::string random_hex(std::size_t n) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n, '0');
  do {
    for (std::size_t i = 0; i < n; i += 16) {
      auto bits = rng();
      for (std::size_t j = i; j < n && j < i + 16; ++j, bits >>= 4) out[j] = digits[bits & 15];
    }
  } while (all_zero(out));
  return out;
}

}  // namespace

std::optional<trace_context> parse_traceparent(std::string_view h) {
  // version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2); future versions may append.
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  auto version = h.substr(0, 2), trace = h.substr(3, 32), span = h.substr(36, 16),
       flags = h.substr(53, 2);
  if (!is_lower_hex(version) || version == "ff") return std::nullopt;
  if (version == "00" && h.size() != 55) return std::nullopt;
  if (version != "00" && h.size() > 55 && h[55] != '-') return std::nullopt;
  if (!is_lower_hex(trace) || all_zero(trace)) return std::nullopt;
  if (!is_lower_hex(span) || all_zero(span)) return std::nullopt;
  if (!is_lower_hex(flags)) return std::nullopt;
  return trace_context{std::string(trace), std::string(span), std::string(flags)};
}

trace_context continue_or_start(std::string_view header) {
  if (auto parent = parse_traceparent(header)) {
    parent->span_id = random_hex(16);
    return *parent;
  }
  return trace_context{random_hex(32), random_hex(16), "01"};
}

}  // namespace sluice::observe
