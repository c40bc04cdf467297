#pragma once
// Wall-clock helpers: microseconds since the Unix epoch (what messages carry,
// so that other processes and restarts agree) and RFC 3339 UTC text.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace sluice {

inline std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// e.g. 2026-11-29T09:00:00.123456Z
inline std::string format_rfc3339_us(std::int64_t us) {
  std::int64_t secs = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
  auto frac = static_cast<long>(us - secs * 1'000'000);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // room for any int the compiler can imagine
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

}  // namespace sluice
