#include "bench/report.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace sluice::bench {

std::uint64_t op_stats::failures() const {
  std::uint64_t n = 0;
  for (const auto& [status, count] : statuses) {
    if (status == 0 || status >= 500) n += count;
  }
  return n;
}

histogram report::all() const {
  histogram h;
  for (const auto& [op, s] : ops) h.merge(s.latency);
  return h;
}

std::uint64_t report::total() const {
  std::uint64_t n = 0;
  for (const auto& [op, s] : ops) n += s.count();
  return n;
}

std::uint64_t report::failures() const {
  std::uint64_t n = 0;
  for (const auto& [op, s] : ops) n += s.failures();
  return n;
}

std::vector<breach> verdict(const report& r, const objectives& o) {
  std::vector<breach> out;
  auto h = r.all();
  auto check_max = [&](const char* name, std::optional<double> limit, double observed,
                       const char* unit) {
    if (!limit || observed <= *limit) return;
    out.push_back({name, observed, *limit,
                   fmt::format("{} {:.3f}{} > {}{} ({:.1f} % over)", name, observed, unit, *limit,
                               unit, (*limit > 0 ? (observed / *limit - 1) * 100 : 100.0))});
  };
  check_max("p50", o.p50_ms, static_cast<double>(h.percentile(50)) / 1e3, " ms");
  check_max("p95", o.p95_ms, static_cast<double>(h.percentile(95)) / 1e3, " ms");
  check_max("p99", o.p99_ms, static_cast<double>(h.percentile(99)) / 1e3, " ms");
  double err = r.total() ? static_cast<double>(r.failures()) / static_cast<double>(r.total()) : 0;
  check_max("error_rate", o.error_rate, err, "");
  double tpm = r.per_second() * 60;
  check_max("max_per_minute", o.max_per_minute, tpm, "/min");
  if (o.min_per_minute && tpm < *o.min_per_minute) {
    out.push_back({"min_per_minute", tpm, *o.min_per_minute,
                   fmt::format("throughput {:.0f}/min < {:.0f}/min ({:.1f} % under)", tpm,
                               *o.min_per_minute, (1 - tpm / *o.min_per_minute) * 100)});
  }
  return out;
}

namespace {

std::string ms(std::uint64_t us) { return fmt::format("{:.3f} ms", static_cast<double>(us) / 1e3); }

std::string latency_line(const char* name, const histogram& h) {
  return fmt::format("{:<10} n={:<9} min {}  p50 {}  p90 {}  p95 {}  p99 {}  p99.9 {}  max {}\n", name,
                     h.count(), ms(h.min()), ms(h.percentile(50)), ms(h.percentile(90)),
                     ms(h.percentile(95)), ms(h.percentile(99)), ms(h.percentile(99.9)),
                     ms(h.max()));
}

boost::json::object latency_json(const histogram& h) {
  auto ms_of = [](std::uint64_t us) { return static_cast<double>(us) / 1e3; };
  return {{"count", h.count()},        {"min_ms", ms_of(h.min())},
          {"mean_ms", h.mean() / 1e3}, {"p50_ms", ms_of(h.percentile(50))},
          {"p90_ms", ms_of(h.percentile(90))}, {"p95_ms", ms_of(h.percentile(95))},
          {"p99_ms", ms_of(h.percentile(99))}, {"p999_ms", ms_of(h.percentile(99.9))},
          {"max_ms", ms_of(h.max())}};
}

}  // namespace

std::string to_text(const report& r, const std::vector<breach>& breaches) {
  std::string out;
  out += fmt::format("sluice bench: {}:{}  {}  {} connections  {:.1f} s measured\n", r.opts.host,
                     r.opts.port,
                     r.opts.rate > 0 ? fmt::format("open loop at {:.0f}/s", r.opts.rate)
                                     : std::string("closed loop"),
                     r.opts.connections, r.elapsed_s);
  out += latency_line("all", r.all());
  for (const auto& [op, s] : r.ops) out += latency_line(op.c_str(), s.latency);
  out += fmt::format("throughput {:.1f}/s  {:.0f}/min\n", r.per_second(), r.per_second() * 60);
  double err = r.total() ? 100.0 * static_cast<double>(r.failures()) / static_cast<double>(r.total()) : 0;
  out += fmt::format("errors     {:.3f} %", err);
  for (const auto& [op, s] : r.ops) {
    for (const auto& [status, n] : s.statuses) {
      out += fmt::format("  {} {}={}", op, status == 0 ? std::string("conn") : std::to_string(status), n);
    }
  }
  out += "\n";
  if (r.freshness.count() > 0 || r.freshness_timeouts > 0) {
    out += latency_line("freshness", r.freshness);
    if (r.freshness_timeouts) out += fmt::format("freshness timeouts: {}\n", r.freshness_timeouts);
  }
  if (breaches.empty()) {
    out += "verdict: PASS\n";
  } else {
    out += "verdict: FAIL\n";
    for (const auto& b : breaches) out += "  " + b.text + "\n";
  }
  return out;
}

std::string to_json(const report& r, const std::vector<breach>& breaches) {
  boost::json::object o;
  o["target"] = fmt::format("{}:{}", r.opts.host, r.opts.port);
  o["mode"] = r.opts.rate > 0 ? "open" : "closed";
  o["rate"] = r.opts.rate;
  o["connections"] = r.opts.connections;
  o["elapsed_s"] = r.elapsed_s;
  o["requests"] = r.total();
  o["failures"] = r.failures();
  o["per_second"] = r.per_second();
  o["per_minute"] = r.per_second() * 60;
  o["accepted"] = r.accepted;
  o["latency"] = latency_json(r.all());
  boost::json::object ops;
  for (const auto& [op, s] : r.ops) {
    boost::json::object statuses;
    for (const auto& [status, n] : s.statuses) statuses[std::to_string(status)] = n;
    ops[op] = {{"latency", latency_json(s.latency)}, {"statuses", statuses}};
  }
  o["ops"] = ops;
  o["freshness"] = latency_json(r.freshness);
  o["freshness_timeouts"] = r.freshness_timeouts;
  o["freshness_polls"] = r.freshness_polls;
  boost::json::array b;
  for (const auto& x : breaches) {
    b.push_back({{"objective", x.objective}, {"observed", x.observed}, {"limit", x.limit},
                 {"text", x.text}});
  }
  o["breaches"] = b;
  o["verdict"] = breaches.empty() ? "pass" : "fail";
  return boost::json::serialize(o) + "\n";
}

}  // namespace sluice::bench
