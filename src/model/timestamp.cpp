// RFC 3339 timestamps, normalised to one UTC text form so that stored values
// sort and compare as strings and filters match regardless of the offset the
// client used.
//
// Choices: the separator may be 'T', 't' or ' ' (RFC 3339 §5.6 note); 'Z' or
// 'z'; fractions of 1..9 digits are truncated (not rounded) to microseconds so
// that no carry can change the second; leap seconds (:60) are refused because
// they have no UTC instant to normalise to; the year after normalisation must
// stay within 0001..9999, the range both stores accept (PostgreSQL has
// no year 0).

#include <chrono>
#include <cstdio>
#include <ctime>

#include "model/validate.hpp"

namespace sluice::model {
namespace {

class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}

  // Reads exactly n decimal digits.
  bool digits(std::size_t n, int& v) {
    if (s_.size() - i_ < n) return false;
    v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      char c = s_[i_ + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i_ += n;
    return true;
  }
  bool literal(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool any_of(std::string_view chars, char& got) {
    if (i_ < s_.size() && chars.find(s_[i_]) != std::string_view::npos) {
      got = s_[i_++];
      return true;
    }
    return false;
  }
  bool done() const { return i_ == s_.size(); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

bool normalize_timestamp(std::string_view s, std::string& out) {
  cursor c(s);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char sep = 0;
  if (!c.digits(4, year) || !c.literal('-') || !c.digits(2, month) || !c.literal('-') ||
      !c.digits(2, day) || !c.any_of("Tt ", sep) || !c.digits(2, hour) || !c.literal(':') ||
      !c.digits(2, minute) || !c.literal(':') || !c.digits(2, second)) {
    return false;
  }
  int micros = 0;
  if (c.literal('.')) {
    int n = 0;
    int digit = 0;
    while (c.digits(1, digit)) {
      if (++n > 9) return false;
      if (n <= 6) micros = micros * 10 + digit;
    }
    if (n == 0) return false;
    for (; n < 6; ++n) micros *= 10;
  }
  int offset_minutes = 0;
  char zone = 0;
  if (!c.any_of("Zz+-", zone)) return false;
  if (zone == '+' || zone == '-') {
    int oh = 0, om = 0;
    if (!c.digits(2, oh) || !c.literal(':') || !c.digits(2, om) || oh > 23 || om > 59) {
      return false;
    }
    offset_minutes = (oh * 60 + om) * (zone == '-' ? -1 : 1);
  }
  if (!c.done()) return false;

  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year},
                           std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return false;

  // Local time minus the offset is UTC.
  const sys_seconds local = sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second};
  const sys_seconds utc = local - minutes{offset_minutes};
  const sys_days utc_day = floor<days>(utc);
  const year_month_day u{utc_day};
  const hh_mm_ss<seconds> t{utc - utc_day};
  const int uy = static_cast<int>(u.year());
  if (uy < 1 || uy > 9999) return false;

  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", uy,
                static_cast<unsigned>(u.month()), static_cast<unsigned>(u.day()),
                static_cast<int>(t.hours().count()), static_cast<int>(t.minutes().count()),
                static_cast<int>(t.seconds().count()), micros);
  out = buf;
  return true;
}

std::optional<std::int64_t> timestamp_micros(std::string_view s) {
  std::string norm;  // 2026-12-02T06:00:00.123456Z
  if (!normalize_timestamp(s, norm)) return std::nullopt;
  std::tm tm{};
  long frac = 0;
  if (std::sscanf(norm.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6ldZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &frac) != 7) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000 + frac;
}

}  // namespace sluice::model
