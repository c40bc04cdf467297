#pragma once
// IP addresses and CIDR blocks, for telling a trusted proxy from everyone
// else (http.trusted_proxies) and for keying per-address rate limits. IPv4
// is held as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), so one matcher
// serves both families and "10.0.0.0/8" matches a peer that a dual-stack
// socket reports as ::ffff:10.1.2.3. Pure functions over values: safe from
// any thread.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::net {

struct ip {
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 mapped (::ffff:a.b.c.d)
  bool operator==(const ip&) const = default;
  bool is_v4() const;                    // an IPv4-mapped address
};

// "192.0.2.1" or "2001:db8::1" (inet_pton's forms), nothing around them;
// nullopt otherwise. IPv6 zone ids ("fe80::1%eth0") are refused.
std::optional<ip> parse_ip(std::string_view text);

// One hop of X-Forwarded-For as proxies write it: an address, optionally
// with a port ("192.0.2.1:4711", "[2001:db8::1]:4711") or in brackets
// ("[2001:db8::1]"), blanks around it ignored. nullopt for anything else
// ("unknown", obfuscated identifiers, garbage).
std::optional<ip> parse_hop(std::string_view text);

// The canonical text: dotted quad for IPv4 (also when mapped), RFC 5952
// form for IPv6.
std::string to_string(const ip& a);

struct cidr {
  ip base;               // host bits zero
  unsigned prefix = 0;   // over the 128 bits (an IPv4 /n is 96 + n)
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Host
// bits past the prefix ("10.1.2.3/8") are refused: they are a typo for a
// different block more often than not. nullopt with `why` set on failure.
std::optional<cidr> parse_cidr(std::string_view text, std::string* why = nullptr);

bool contains(const cidr& block, const ip& a);
bool contains(const std::vector<cidr>& blocks, const ip& a);

// A comma-separated list of CIDR blocks ("" = none), blanks around items
// ignored. nullopt with `why` naming the bad item on failure; an empty item
// ("a,,b") is refused.
std::optional<std::vector<cidr>> parse_cidr_list(std::string_view text, std::string* why = nullptr);

}  // namespace sluice::net
