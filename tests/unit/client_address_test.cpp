// Issue 12: IP addresses and CIDR blocks (net/address.hpp) and the client
// address behind trusted proxies (http/client_address.hpp).

#include "http/client_address.hpp"

#include <gtest/gtest.h>

#include "net/address.hpp"

namespace sluice {
namespace {

net::ip ip(std::string_view text) {
  auto a = net::parse_ip(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(net::ip{});
}

std::vector<net::cidr> blocks(std::string_view text) {
  std::string why;
  auto list = net::parse_cidr_list(text, &why);
  EXPECT_TRUE(list) << text << ": " << why;
  return list.value_or(std::vector<net::cidr>{});
}

TEST(address, parses_both_families_and_prints_them_canonically) {
  EXPECT_EQ(net::to_string(ip("192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(net::to_string(ip("2001:DB8:0:0::1")), "2001:db8::1");
  EXPECT_TRUE(ip("10.1.2.3").is_v4());
  EXPECT_FALSE(ip("::1").is_v4());
  // A dual-stack socket's form of an IPv4 peer is the same address.
  EXPECT_EQ(ip("::ffff:10.1.2.3"), ip("10.1.2.3"));
  EXPECT_EQ(net::to_string(ip("::ffff:10.1.2.3")), "10.1.2.3");
  for (std::string_view bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", " 1.2.3.4", "fe80::1%eth0",
                               "example.com", "1.2.3.4/8", "[::1]"}) {
    EXPECT_FALSE(net::parse_ip(bad)) << bad;
  }
}

TEST(address, forwarded_hops_may_carry_ports_and_brackets) {
  EXPECT_EQ(net::parse_hop(" 192.0.2.1 "), ip("192.0.2.1"));
  EXPECT_EQ(net::parse_hop("192.0.2.1:4711"), ip("192.0.2.1"));
  EXPECT_EQ(net::parse_hop("[2001:db8::1]:4711"), ip("2001:db8::1"));
  EXPECT_EQ(net::parse_hop("[2001:db8::1]"), ip("2001:db8::1"));
  EXPECT_EQ(net::parse_hop("2001:db8::1"), ip("2001:db8::1"));
  for (std::string_view bad : {"unknown", "_hidden", "192.0.2.1:port", "[2001:db8::1", "[::1]x",
                               "host:80", ""}) {
    EXPECT_FALSE(net::parse_hop(bad)) << bad;
  }
}

TEST(cidr, parses_blocks_and_refuses_what_is_not_one) {
  std::string why;
  auto b = net::parse_cidr("10.0.0.0/8", &why);
  ASSERT_TRUE(b) << why;
  EXPECT_EQ(b->prefix, 96u + 8u);
  EXPECT_EQ(net::parse_cidr("192.0.2.7")->prefix, 128u);  // a bare address is one host
  EXPECT_EQ(net::parse_cidr("fd00::/8")->prefix, 8u);
  EXPECT_EQ(net::parse_cidr("0.0.0.0/0")->prefix, 96u);
  struct bad_case {
    std::string_view text, reason;
  };
  for (const auto& c : {bad_case{"10.1.2.3/8", "bits set past"}, bad_case{"10.0.0.0/33", "at most 32"},
                        bad_case{"::/129", "at most 128"}, bad_case{"10.0.0.0/", "must be a number"},
                        bad_case{"10.0.0.0/x", "must be a number"},
                        bad_case{"ten/8", "not an IP address"}}) {
    why.clear();
    EXPECT_FALSE(net::parse_cidr(c.text, &why)) << c.text;
    EXPECT_NE(why.find(c.reason), std::string::npos) << c.text << ": " << why;
  }
}

TEST(cidr, matches_inside_the_prefix_only) {
  const auto b = *net::parse_cidr("10.0.0.0/8");
  EXPECT_TRUE(net::contains(b, ip("10.0.0.1")));
  EXPECT_TRUE(net::contains(b, ip("10.255.255.255")));
  EXPECT_TRUE(net::contains(b, ip("::ffff:10.9.9.9")));
  EXPECT_FALSE(net::contains(b, ip("11.0.0.1")));
  EXPECT_FALSE(net::contains(b, ip("::a00:1")));  // ::10.0.0.1 is not IPv4-mapped
  const auto odd = *net::parse_cidr("192.168.4.0/22");
  EXPECT_TRUE(net::contains(odd, ip("192.168.7.255")));
  EXPECT_FALSE(net::contains(odd, ip("192.168.8.0")));
  EXPECT_FALSE(net::contains(odd, ip("192.168.3.255")));
  const auto v6 = *net::parse_cidr("2001:db8:abcd::/48");
  EXPECT_TRUE(net::contains(v6, ip("2001:db8:abcd:12::1")));
  EXPECT_FALSE(net::contains(v6, ip("2001:db8:abce::1")));
  EXPECT_FALSE(net::contains(v6, ip("10.0.0.1")));
  EXPECT_TRUE(net::contains(*net::parse_cidr("::/0"), ip("10.0.0.1")));  // everything
}

TEST(cidr, lists_are_comma_separated_and_strict) {
  EXPECT_TRUE(blocks("").empty());
  EXPECT_TRUE(blocks("  ").empty());
  EXPECT_EQ(blocks("10.0.0.0/8, 192.168.0.0/16 ,fd00::/8").size(), 3u);
  std::string why;
  EXPECT_FALSE(net::parse_cidr_list("10.0.0.0/8,,192.168.0.0/16", &why));
  EXPECT_NE(why.find("empty item"), std::string::npos) << why;
  EXPECT_FALSE(net::parse_cidr_list("10.0.0.0/8, nope", &why));
  EXPECT_NE(why.find("\"nope\""), std::string::npos) << why;
}

// The client is the peer unless the peer is trusted; then the rightmost
// untrusted hop of X-Forwarded-For.
TEST(client_address, x_forwarded_for_is_believed_only_from_trusted_peers) {
  const auto trusted = blocks("10.0.0.0/8, fd00::/8");
  struct case_t {
    std::string_view peer;
    std::vector<std::string_view> xff;
    std::string_view client;
  };
  const case_t cases[] = {
      // Untrusted peer: its own address, whatever it claims.
      {"203.0.113.9", {"198.51.100.7"}, "203.0.113.9"},
      {"203.0.113.9", {}, "203.0.113.9"},
      // Trusted peer without X-Forwarded-For: the peer.
      {"10.0.0.5", {}, "10.0.0.5"},
      // Rightmost untrusted hop; what is left of it is not believed.
      {"10.0.0.5", {"198.51.100.7, 203.0.113.9"}, "203.0.113.9"},
      {"10.0.0.5", {"203.0.113.9, 10.0.0.4"}, "203.0.113.9"},
      // Several fields are one list, in order.
      {"10.0.0.5", {"203.0.113.9", "10.0.0.4, 10.0.0.3"}, "203.0.113.9"},
      {"10.0.0.5", {"198.51.100.7", "203.0.113.9"}, "203.0.113.9"},
      // Every hop trusted: the leftmost.
      {"10.0.0.5", {"10.1.1.1, 10.0.0.4"}, "10.1.1.1"},
      // Garbage stops the walk at the nearest trusted address right of it.
      {"10.0.0.5", {"unknown"}, "10.0.0.5"},
      {"10.0.0.5", {"203.0.113.9, junk, 10.0.0.4"}, "10.0.0.4"},
      // Ports, brackets, blanks and empty items as proxies write them.
      {"10.0.0.5", {" 203.0.113.9:5555 ,, "}, "203.0.113.9"},
      {"fd00::1", {"[2001:db8::7]:443"}, "2001:db8::7"},
      // A dual-stack listener's mapped form of a trusted IPv4 peer.
      {"::ffff:10.0.0.5", {"192.0.2.44"}, "192.0.2.44"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(http::client_address(ip(c.peer), c.xff, trusted), c.client)
        << c.peer << " " << (c.xff.empty() ? "" : c.xff.front());
  }
  // No trusted proxies: always the peer.
  EXPECT_EQ(http::client_address(ip("10.0.0.5"), {"203.0.113.9"}, {}), "10.0.0.5");
}

}  // namespace
}  // namespace sluice
