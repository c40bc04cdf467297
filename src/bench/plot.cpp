// SVG plots of a run: latency over time (per-second P50, P99 and max, from
// the samples) and the percentile spectrum (P0 … P99.99, log-scaled x).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bench/report.hpp"

namespace sluice::bench {
namespace {

constexpr int width = 900, panel = 300, margin = 60;

struct series {
  const char* name;
  const char* colour;
  std::vector<std::pair<double, double>> points;  // x in [0,1], y in ms
};

std::string polyline(const series& s, double y_max, int top) {
  std::string pts;
  for (auto [x, y] : s.points) {
    double px = margin + x * (width - 2 * margin);
    double py = top + panel - std::min(y / y_max, 1.0) * panel;
    pts += fmt::format("{:.1f},{:.1f} ", px, py);
  }
  return fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", s.colour, pts);
}

std::string panel_svg(const std::string& title, const std::string& x_label,
                      const std::vector<series>& all, int top) {
  double y_max = 0.001;
  for (const auto& s : all) {
    for (auto [x, y] : s.points) y_max = std::max(y_max, y);
  }
  y_max *= 1.1;
  std::string out = fmt::format(
      R"(<text x="{}" y="{}" font-size="14" font-family="sans-serif">{}</text>)"
      R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999"/>)",
      margin, top - 8, title, margin, top, width - 2 * margin, panel);
  for (int i = 0; i <= 4; ++i) {
    double v = y_max * i / 4;
    int y = top + panel - panel * i / 4;
    out += fmt::format(R"(<text x="{}" y="{}" font-size="10" text-anchor="end" font-family="sans-serif">{:.2f} ms</text>)",
                       margin - 4, y + 3, v);
  }
  out += fmt::format(R"(<text x="{}" y="{}" font-size="11" text-anchor="middle" font-family="sans-serif">{}</text>)",
                     width / 2, top + panel + 28, x_label);
  int lx = width - margin - 90;
  for (std::size_t i = 0; i < all.size(); ++i) {
    out += polyline(all[i], y_max, top);
    out += fmt::format(R"(<text x="{}" y="{}" font-size="11" fill="{}" font-family="sans-serif">{}</text>)",
                       lx, top + 16 + 14 * static_cast<int>(i), all[i].colour, all[i].name);
  }
  return out;
}

}  // namespace

std::string to_svg(const report& r) {
  // Panel 1: per-second windows of the samples.
  std::vector<histogram> per_second;
  for (const auto& s : r.samples) {
    std::size_t sec = s.at_ms / 1000;
    if (per_second.size() <= sec) per_second.resize(sec + 1);
    per_second[sec].record(s.latency_us);
  }
  series p50{"P50", "#1f77b4", {}}, p99{"P99", "#d62728", {}}, mx{"max", "#7f7f7f", {}};
  for (std::size_t i = 0; i < per_second.size(); ++i) {
    if (per_second[i].count() == 0) continue;
    double x = per_second.size() > 1 ? static_cast<double>(i) / static_cast<double>(per_second.size() - 1) : 0;
    p50.points.push_back({x, static_cast<double>(per_second[i].percentile(50)) / 1e3});
    p99.points.push_back({x, static_cast<double>(per_second[i].percentile(99)) / 1e3});
    mx.points.push_back({x, static_cast<double>(per_second[i].max()) / 1e3});
  }
  // Panel 2: percentile spectrum, x = log10(1 / (1 - p)) from P0 to P99.99.
  auto h = r.all();
  series spectrum{"latency", "#2ca02c", {}};
  for (double x = 0; x <= 4.0001; x += 0.05) {
    double p = 100 * (1 - std::pow(10, -x));
    spectrum.points.push_back({x / 4, static_cast<double>(h.percentile(p)) / 1e3});
  }
  int height = 2 * panel + 4 * margin;
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}">)"
      R"(<rect width="100%" height="100%" fill="white"/>)",
      width, height, width, height);
  out += panel_svg(fmt::format("latency over time ({} s)", per_second.size()), "time →",
                   {p50, p99, mx}, margin);
  out += panel_svg("latency by percentile", "P0 … P90 … P99 … P99.9 … P99.99 (log scale)",
                   {spectrum}, 2 * margin + panel + margin);
  out += "</svg>\n";
  return out;
}

}  // namespace sluice::bench
