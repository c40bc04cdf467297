#include "http/client_address.hpp"

namespace sluice::http {

std::string client_address(const net::ip& peer, const std::vector<std::string_view>& forwarded_for,
                           const std::vector<net::cidr>& trusted_proxies) {
  if (!net::contains(trusted_proxies, peer)) return net::to_string(peer);
  // The hops, right to left: the last field's last item first.
  net::ip nearest = peer;  // the nearest (leftmost so far) trusted address
  for (auto field = forwarded_for.rbegin(); field != forwarded_for.rend(); ++field) {
    std::string_view rest = *field;
    while (!rest.empty()) {
      auto comma = rest.rfind(',');
      auto item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
      if (item.find_first_not_of(" \t") == std::string_view::npos) continue;  // "a, , b"
      auto hop = net::parse_hop(item);
      if (!hop) return net::to_string(nearest);
      if (!net::contains(trusted_proxies, *hop)) return net::to_string(*hop);
      nearest = *hop;
    }
  }
  return net::to_string(nearest);
}

}  // namespace sluice::http
