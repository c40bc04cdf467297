#include "bench/options.hpp"

#include <charconv>
#include <numeric>

namespace sluice::bench {

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  double n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || n < 0) return std::nullopt;
  std::string unit(p, text.data() + text.size());
  double ms;
  if (unit == "ms") ms = n;
  else if (unit == "s" || unit.empty()) ms = n * 1e3;
  else if (unit == "m") ms = n * 60e3;
  else if (unit == "h") ms = n * 3600e3;
  else return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<std::vector<mix_entry>> parse_mix(const std::string& text) {
  std::vector<mix_entry> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(pos, end - pos);
    auto eq = item.find('=');
    if (eq == std::string::npos) return std::nullopt;
    mix_entry e{item.substr(0, eq), 0};
    if (e.op != "post" && e.op != "get") return std::nullopt;
    auto w = item.substr(eq + 1);
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), e.weight);
    if (ec != std::errc{} || p != w.data() + w.size()) return std::nullopt;
    if (e.weight > 0) out.push_back(e);
    pos = end + 1;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool parse_url(const std::string& url, std::string& host, unsigned short& port) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    host = rest;
    port = 80;
    return !host.empty();
  }
  host = rest.substr(0, colon);
  unsigned p = 0;
  auto digits = rest.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
  if (ec != std::errc{} || end != digits.data() + digits.size() || p == 0 || p > 65535) return false;
  port = static_cast<unsigned short>(p);
  return !host.empty();
}

std::vector<std::string> mix_period(const std::vector<mix_entry>& mix) {
  unsigned g = 0;
  for (const auto& e : mix) g = std::gcd(g, e.weight);
  std::vector<std::int64_t> weight, current(mix.size(), 0);
  std::int64_t total = 0;
  for (const auto& e : mix) {
    weight.push_back(e.weight / g);
    total += e.weight / g;
  }
  std::vector<std::string> out;
  for (std::int64_t n = 0; n < total; ++n) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < mix.size(); ++i) {
      current[i] += weight[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    out.push_back(mix[best].op);
  }
  return out;
}

}  // namespace sluice::bench
