#include "net/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace sluice::net {
namespace {

constexpr std::array<std::uint8_t, 12> k_v4_mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool ip::is_v4() const {
  return std::equal(k_v4_mapped.begin(), k_v4_mapped.end(), bytes.begin());
}

std::optional<ip> parse_ip(std::string_view text) {
  // inet_pton needs a terminated string; no address is longer than this.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  ip out;
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    std::copy(k_v4_mapped.begin(), k_v4_mapped.end(), out.bytes.begin());
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.bytes.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<ip> parse_hop(std::string_view text) {
  text = trim(text);
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto rest = text.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
    return parse_ip(text.substr(1, close - 1));
  }
  // One colon: IPv4 with a port; more: a bare IPv6 address.
  auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    if (!all_digits(text.substr(colon + 1))) return std::nullopt;
    auto a = parse_ip(text.substr(0, colon));
    if (!a || !a->is_v4()) return std::nullopt;
    return a;
  }
  return parse_ip(text);
}

std::string to_string(const ip& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.is_v4()) {
    inet_ntop(AF_INET, a.bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<cidr> parse_cidr(std::string_view text, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<cidr> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  const std::string quoted = "\"" + std::string(text) + "\"";
  auto slash = text.find('/');
  auto a = parse_ip(text.substr(0, slash));
  if (!a) return fail(quoted + " is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)");
  const unsigned max = a->is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return fail(quoted + ": the prefix length must be a number");
    }
    prefix = 0;
    for (char c : digits) prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    if (prefix > max) return fail(quoted + ": the prefix length must be at most " + std::to_string(max));
  }
  cidr out{*a, prefix + (a->is_v4() ? 96 : 0)};
  for (unsigned bit = out.prefix; bit < 128; ++bit) {
    if (out.base.bytes[bit / 8] & (0x80u >> (bit % 8))) {
      return fail(quoted + " has bits set past its prefix length (the block starts lower)");
    }
  }
  return out;
}

bool contains(const cidr& block, const ip& a) {
  unsigned whole = block.prefix / 8;
  if (!std::equal(block.base.bytes.begin(), block.base.bytes.begin() + whole, a.bytes.begin())) {
    return false;
  }
  unsigned rest = block.prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (block.base.bytes[whole] & mask) == (a.bytes[whole] & mask);
}

bool contains(const std::vector<cidr>& blocks, const ip& a) {
  return std::any_of(blocks.begin(), blocks.end(), [&](const cidr& b) { return contains(b, a); });
}

std::optional<std::vector<cidr>> parse_cidr_list(std::string_view text, std::string* why) {
  std::vector<cidr> out;
  if (trim(text).empty()) return out;
  for (;;) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (item.empty()) {
      if (why) *why = "an empty item (two commas in a row, or one at an end)";
      return std::nullopt;
    }
    auto block = parse_cidr(item, why);
    if (!block) return std::nullopt;
    out.push_back(*block);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

}  // namespace sluice::net
