#include "slo/rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "observe/buckets.hpp"

namespace sluice::slo {
namespace {

constexpr std::string_view k_requests = "http_server_request_duration_seconds";
// Short windows confirm that a long window's burn is still going on, so an
// alert stops soon after the cause does (SRE workbook, "multiwindow").
constexpr std::array<std::string_view, 4> k_windows = {"5m", "30m", "1h", "6h"};

struct objective {
  std::string_view name;  // p50 …
  double quantile;        // 0.5 …
  double budget;          // share of requests allowed to be slower: 0.5 …
  unsigned ms;
};

std::array<objective, 3> objectives_of(const config::slo_config& o) {
  // Budgets written as exact quotients so they print as 0.5, 0.05, 0.01.
  return {{{"p50", 0.5, 50 / 100.0, o.latency_p50_ms},
           {"p95", 0.95, 5 / 100.0, o.latency_p95_ms},
           {"p99", 0.99, 1 / 100.0, o.latency_p99_ms}}};
}

double seconds(unsigned ms) { return ms / 1000.0; }

// The rule file's text, one rule at a time. Expressions are YAML literal
// blocks, so that whatever the configured route regex holds cannot end up
// parsed as YAML syntax.
class writer {
 public:
  std::string text;

  void group(std::string_view name) {
    text += fmt::format("  - name: {}\n    rules:\n", name);
  }
  void record(std::string_view name, const std::string& expr) {
    text += fmt::format("      - record: {}\n", name);
    block("expr", expr);
  }
  struct alert_def {
    std::string name;
    std::string expr;
    std::string_view pending_for;  // the rule's `for:` duration
    std::vector<std::pair<std::string_view, std::string>> labels;
    std::string summary;
    std::string description;
  };
  void alert(const alert_def& a) {
    text += fmt::format("      - alert: {}\n", a.name);
    block("expr", a.expr);
    text += fmt::format("        for: {}\n        labels:\n", a.pending_for);
    for (const auto& [k, v] : a.labels) text += fmt::format("          {}: {}\n", k, v);
    text += "        annotations:\n";
    text += fmt::format("          summary: \"{}\"\n", a.summary);
    text += fmt::format("          description: \"{}\"\n", a.description);
  }

 private:
  void block(std::string_view key, const std::string& expr) {
    text += fmt::format("        {}: |-\n", key);
    std::size_t start = 0;
    while (start <= expr.size()) {
      auto end = expr.find('\n', start);
      if (end == std::string::npos) end = expr.size();
      text += "          ";
      text.append(expr, start, end - start);
      text += '\n';
      start = end + 1;
    }
  }
};

// Two-window burn-rate condition on a ratio recorded per window.
std::string burn(std::string_view ratio_prefix, std::string_view long_w, std::string_view short_w,
                 double factor, double budget) {
  return fmt::format("{0}{1} > ({3} * {4})\nand\n{0}{2} > ({3} * {4})", ratio_prefix, long_w,
                     short_w, factor, budget);
}

std::string percent(double x) { return fmt::format("{:g}%", x * 100); }

}  // namespace

std::optional<std::string> check(const config::slo_config& o) {
  for (const auto& obj : objectives_of(o)) {
    const auto& b = observe::latency_buckets_seconds;
    if (std::find(b.begin(), b.end(), seconds(obj.ms)) == b.end()) {
      std::string bounds;
      for (double x : b) bounds += fmt::format("{}{}", bounds.empty() ? "" : ", ", x * 1000);
      return fmt::format(
          "slo.latency_{}_ms: {} is not a bucket bound of {} (the latency SLI reads the bucket "
          "at the objective); use one of these (ms): {}",
          obj.name, obj.ms, k_requests, bounds);
    }
  }
  return std::nullopt;
}

std::vector<std::string> recording_rule_names() {
  std::vector<std::string> out = {"sluice:http_requests:rate5m", "sluice:http_requests:per_minute"};
  for (auto q : {"p50", "p95", "p99"}) {
    out.push_back(fmt::format("sluice:http_request_duration_seconds:{}", q));
  }
  for (auto w : k_windows) out.push_back(fmt::format("sluice:http_errors:ratio_rate{}", w));
  for (auto q : {"p50", "p95", "p99"}) {
    for (auto w : k_windows) out.push_back(fmt::format("sluice:http_slow_{}:ratio_rate{}", q, w));
  }
  out.push_back("sluice:http_requests:per_minute:avg_1d");
  out.push_back("sluice:http_requests:per_minute:stddev_1d");
  return out;
}

std::string prometheus_rules(const config::slo_config& o) {
  if (auto why = check(o)) throw std::invalid_argument(*why);
  const std::string sel = fmt::format("job=\"{}\",route=~\"{}\"", o.job, o.routes);
  const std::string count = fmt::format("{}_count{{{}}}", k_requests, sel);
  const auto objectives = objectives_of(o);
  // The workbook's factors for a 30-day window: 2 % of the budget spent in
  // 1 h (14.4x), 5 % in 6 h (6x); for another window, the same shares.
  const double window_h = o.window_days * 24.0;
  const double fast = window_h * 2 / 100;
  const double slow = window_h * 5 / (100.0 * 6);

  writer w;
  w.text = fmt::format(
      "# Generated by `sluice slo rules` from the [slo] configuration; do not edit.\n"
      "# Objectives: P50 < {} ms, P95 < {} ms, P99 < {} ms; 5xx answers < {} of requests\n"
      "# (4xx are the client's fault and count as success) over {} days; throughput\n"
      "# {}..{} requests/minute and within mean ± 2 sigma of the last day.\n"
      "# Requests counted: job=\"{}\", route=~\"{}\".\n"
      "groups:\n",
      o.latency_p50_ms, o.latency_p95_ms, o.latency_p99_ms, percent(o.error_rate), o.window_days,
      o.throughput_min_per_minute, o.throughput_max_per_minute, o.job, o.routes);

  w.group("sluice-slo-recording");
  w.record("sluice:http_requests:rate5m", fmt::format("sum(rate({}[5m]))", count));
  w.record("sluice:http_requests:per_minute", "sluice:http_requests:rate5m * 60");
  for (const auto& obj : objectives) {
    w.record(fmt::format("sluice:http_request_duration_seconds:{}", obj.name),
             fmt::format("histogram_quantile({}, sum by (le) (rate({}_bucket{{{}}}[5m])))",
                         obj.quantile, k_requests, sel));
  }
  for (auto win : k_windows) {
    // "or vector(0)": no 5xx series at all means a ratio of 0, not no data.
    w.record(fmt::format("sluice:http_errors:ratio_rate{}", win),
             fmt::format("(sum(rate({0}_count{{{1},status_code=~\"5..\"}}[{2}])) or vector(0))\n/\n"
                         "sum(rate({0}_count{{{1}}}[{2}]))",
                         k_requests, sel, win));
  }
  for (const auto& obj : objectives) {
    for (auto win : k_windows) {
      w.record(fmt::format("sluice:http_slow_{}:ratio_rate{}", obj.name, win),
               fmt::format("1 - (\n  sum(rate({0}_bucket{{{1},le=\"{2}\"}}[{3}]))\n  /\n"
                           "  sum(rate({0}_count{{{1}}}[{3}]))\n)",
                           k_requests, sel, seconds(obj.ms), win));
    }
  }

  w.group("sluice-slo-throughput-band");
  w.record("sluice:http_requests:per_minute:avg_1d",
           "avg_over_time(sluice:http_requests:per_minute[1d])");
  w.record("sluice:http_requests:per_minute:stddev_1d",
           "stddev_over_time(sluice:http_requests:per_minute[1d])");

  w.group("sluice-slo-alerts");
  const auto budget_text = fmt::format("over {} days", o.window_days);
  // Each budget pages at two speeds, one alert each: fast (2 % of it spent in
  // 1 h, confirmed over 5 m) and slow (5 % in 6 h, over 30 m).
  struct burn_speed {
    std::string_view name;  // the alerts' suffix
    std::string_view long_w, short_w, pending_for;
    double factor;
    std::string_view adverb;   // "… the budget fast"
    std::string_view windows;  // the windows as the description spells them
    std::string_view spent, spent_in;
  };
  const std::array<burn_speed, 2> speeds = {{
      {"Fast", "1h", "5m", "2m", fast, "fast", "1 h and 5 m", "2%", "1 h"},
      {"Slow", "6h", "30m", "15m", slow, "steadily", "6 h and 30 m", "5%", "6 h"},
  }};
  for (const auto& s : speeds) {
    w.alert({fmt::format("SluiceErrorBudgetBurn{}", s.name),
             burn("sluice:http_errors:ratio_rate", s.long_w, s.short_w, s.factor, o.error_rate),
             s.pending_for,
             {{"severity", "page"}, {"slo", "availability"}},
             fmt::format("Sluice is spending its error budget {}", s.adverb),
             fmt::format("The 5xx ratio has been above {}x the {} objective for {} "
                         "({} of the error budget {} spent in {}).",
                         s.factor, percent(o.error_rate), s.windows, s.spent, budget_text,
                         s.spent_in)});
  }
  const auto& p99 = objectives[2];
  for (const auto& s : speeds) {
    w.alert({fmt::format("SluiceLatencyBudgetBurn{}", s.name),
             burn("sluice:http_slow_p99:ratio_rate", s.long_w, s.short_w, s.factor, p99.budget),
             s.pending_for,
             {{"severity", "page"}, {"slo", "latency"}, {"objective", "p99"}},
             fmt::format("Sluice requests slower than {} ms burn the latency budget {}", p99.ms,
                         s.adverb),
             fmt::format("The share of requests slower than {} ms (objective: P99 < {} ms) has "
                         "been above {}x its budget for {}.",
                         p99.ms, p99.ms, s.factor, s.windows)});
  }
  // For P50 and P95 a burn-rate factor times the budget would exceed 1 (or
  // come close), so these alert when the percentile itself has been above
  // its objective for an hour and still is.
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& obj = objectives[i];
    w.alert({"SluiceLatencyObjectiveMissed",
             burn(fmt::format("sluice:http_slow_{}:ratio_rate", obj.name), "1h", "5m", 1,
                  obj.budget),
             "5m",
             {{"severity", "ticket"}, {"slo", "latency"}, {"objective", std::string(obj.name)}},
             fmt::format("Sluice {} latency above {} ms", obj.name, obj.ms),
             fmt::format("More than {} of requests have been slower than {} ms for the last "
                         "hour and the last 5 minutes (objective: {} < {} ms).",
                         percent(obj.budget), obj.ms, obj.name, obj.ms)});
  }
  std::string band;
  const std::string tpm = "sluice:http_requests:per_minute";
  if (o.throughput_min_per_minute > 0) band = fmt::format("{} < {}", tpm, o.throughput_min_per_minute);
  if (o.throughput_max_per_minute > 0) {
    if (!band.empty()) band += "\nor\n";
    band += fmt::format("{} > {}", tpm, o.throughput_max_per_minute);
  }
  if (!band.empty()) {
    w.alert({"SluiceThroughputOutsideBand", band, "10m",
             {{"severity", "ticket"}, {"slo", "throughput"}},
             "Sluice throughput outside its configured band",
             fmt::format("Requests per minute have been outside {}..{} for 10 minutes "
                         "(0 = no bound).",
                         o.throughput_min_per_minute, o.throughput_max_per_minute)});
  }
  // Needs a day of history ("offset 1d"), so a fresh start is never anomalous.
  w.alert({"SluiceThroughputAnomalous",
           fmt::format("abs({0} - {0}:avg_1d) > 2 * {0}:stddev_1d\nand on ()\n{0} offset 1d", tpm),
           "15m",
           {{"severity", "ticket"}, {"slo", "throughput"}},
           "Sluice throughput outside mean ± 2 sigma of the last day",
           "Requests per minute have been more than two standard deviations away from the last "
           "day's mean for 15 minutes."});
  w.alert({"SluiceDeadLetters",
           fmt::format("sum by (subscription) (increase(sluice_dead_letters_total{{job=\"{}\"}}[10m])) > 0",
                       o.job),
           "0m",
           {{"severity", "ticket"}},
           "Sluice dead-lettered messages on {{ $labels.subscription }}",
           "Messages were dead-lettered in the last 10 minutes; the subscriber's warn logs name "
           "each with its reason and trace id."});
  // The dead-letter backlog (the sluice_dead_letters gauge, entries not yet
  // redriven or discarded) is larger than half an hour ago, and has been for
  // 15 minutes: dead letters are piling up and nobody is working them off.
  // max, not sum: every worker reports the same store's count.
  w.alert({"SluiceDeadLetterBacklogGrowing",
           fmt::format("max by (subscription) (sluice_dead_letters{{job=\"{0}\"}})\n- max by "
                       "(subscription) (sluice_dead_letters{{job=\"{0}\"}} offset 30m) > 0",
                       o.job),
           "15m",
           {{"severity", "ticket"}},
           "Sluice dead-letter backlog growing on {{ $labels.subscription }}",
           "The subscription holds more dead letters than 30 minutes ago; inspect them "
           "(GET /v1/dead-letters?subscription=…), then redrive or discard."});
  w.alert({"SluiceTargetDown", fmt::format("up{{job=\"{}\"}} == 0", o.job), "2m",
           {{"severity", "page"}},
           "Sluice instance {{ $labels.instance }} is down",
           "Prometheus cannot scrape {{ $labels.instance }} (job " + o.job + ")."});
  w.alert({"SluiceTargetAbsent", fmt::format("absent(up{{job=\"{}\"}})", o.job), "5m",
           {{"severity", "page"}},
           "No Sluice target is being scraped",
           "Prometheus has no target for job " + o.job + "; check the scrape configuration."});
  return w.text;
}

}  // namespace sluice::slo
