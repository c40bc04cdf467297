#include "api/rate_limits.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "http/problem.hpp"
#include "net/address.hpp"
#include "observe/metrics.hpp"

namespace sluice::api {
namespace {

http::response too_many(observe::metrics& metrics, const rate_subject& who,
                        const auth::rate_decision& d, std::uint64_t cost,
                        http::header_list& headers) {
  metrics.rate_limited(who.label);
  std::string detail = "rate limit exceeded: this request costs " + std::to_string(cost) +
                       (cost == 1 ? " record" : " records") + " of " + std::to_string(d.quota) +
                       " per " + std::to_string(d.window_s) + " s; retry in " +
                       std::to_string(d.retry_after_s) + " s";
  // "violated-policies": the draft's quota-exceeded problem member.
  auto res = http::problem(429, detail, {},
                           boost::json::object{{"violated-policies", boost::json::array{d.policy}}});
  res.set("Retry-After", std::to_string(d.retry_after_s));
  for (auto& h : headers) res.headers.push_back(h);
  headers.clear();
  return res;
}

void add_fields(const auth::rate_decision& d, http::header_list& headers) {
  auto fields = auth::rate_limit_headers(d);
  headers.emplace_back("RateLimit-Policy", fields.policy);
  headers.emplace_back("RateLimit", fields.limit);
}

// The address a bucket is kept for: IPv4 as it is, IPv6 by its /64 (one
// host or site gets a whole /64, so single addresses would let it mint
// fresh buckets at will).
std::string bucket_address(std::string_view client) {
  auto a = net::parse_ip(client);
  if (!a) return std::string(client);  // not reached: the server sets an address
  if (a->is_v4()) return net::to_string(*a);
  for (std::size_t i = 8; i < 16; ++i) a->bytes[i] = 0;
  return net::to_string(*a) + "/64";
}

}  // namespace

std::optional<std::pair<std::string, std::uint64_t>> scope_rate(
    const std::map<std::string, std::uint64_t>& rates, std::string_view scope) {
  if (scope.empty() || rates.empty()) return std::nullopt;
  auto find = [&](const std::string& name) -> std::optional<std::pair<std::string, std::uint64_t>> {
    auto it = rates.find(name);
    if (it == rates.end()) return std::nullopt;
    return *it;
  };
  if (auto exact = find(std::string(scope))) return exact;
  auto colon = scope.find(':');
  if (colon != std::string_view::npos) {
    if (auto any = find(std::string(scope.substr(0, colon + 1)) + "*")) return any;
  }
  return find("*");
}

rate_subject address_subject(const config::auth_config& a, std::string_view client_address) {
  rate_subject s{{}, "anonymous", {"anonymous", static_cast<double>(a.anonymous_rate)}, true};
  // Unlimited: no bucket is ever kept, so the key is not worth making.
  if (a.anonymous_rate > 0) s.key = "ip:" + bucket_address(client_address);
  return s;
}

rate_subject subject_of(const auth::principal& who, std::string_view scope,
                        const config::auth_config& a, std::string_view client_address) {
  if (who.kind == "anonymous") return address_subject(a, client_address);
  rate_subject s;
  s.key = who.kind + ":" + who.id;
  s.label = who.id;
  if (who.rate) {
    s.policy = {"principal", *who.rate};
  } else if (auto entry = scope_rate(a.rates, scope)) {
    s.key += "|" + entry->first;
    s.policy = {entry->first, static_cast<double>(entry->second)};
  } else {
    s.policy = {"default", static_cast<double>(a.default_rate)};
  }
  return s;
}

std::optional<http::response> charge(auth::rate_limiter& limiter, observe::metrics& metrics,
                                     const rate_subject& who, std::uint64_t cost,
                                     http::header_list& headers) {
  const auto d = limiter.charge(who.key, who.policy, cost);
  if (!d.limited) return std::nullopt;
  add_fields(d, headers);
  if (d.allowed) return std::nullopt;
  return too_many(metrics, who, d, cost, headers);
}

std::optional<http::response> refuse_if_empty(auth::rate_limiter& limiter,
                                              observe::metrics& metrics, const rate_subject& who,
                                              std::uint64_t cost) {
  const auto d = limiter.check(who.key, who.policy, cost);
  if (!d.limited || d.allowed) return std::nullopt;
  http::header_list headers;
  add_fields(d, headers);
  return too_many(metrics, who, d, cost, headers);
}

}  // namespace sluice::api
