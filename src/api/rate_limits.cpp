#include "api/rate_limits.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "http/problem.hpp"
#include "observe/metrics.hpp"

namespace sluice::api {

rate_subject subject_of(const auth::principal& who, std::uint64_t default_rate) {
  rate_subject s;
  if (who.kind == "anonymous") return s;  // rate 0: unlimited
  s.key = who.kind + ":" + who.id;
  s.label = who.id;
  if (who.rate) {
    s.policy = {"principal", *who.rate};
  } else {
    s.policy = {"default", static_cast<double>(default_rate)};
  }
  return s;
}

std::optional<http::response> charge(auth::rate_limiter& limiter, observe::metrics& metrics,
                                     const rate_subject& who, std::uint64_t cost,
                                     http::header_list& headers) {
  const auto d = limiter.charge(who.key, who.policy, cost);
  if (!d.limited) return std::nullopt;
  auto fields = auth::rate_limit_headers(d);
  headers.emplace_back("RateLimit-Policy", fields.policy);
  headers.emplace_back("RateLimit", fields.limit);
  if (d.allowed) return std::nullopt;

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

}  // namespace sluice::api
