#include "observe/family.hpp"

#include <prometheus/metric_family.h>

#include <atomic>
#include <limits>
#include <unordered_map>

#include "observe/instruments.hpp"

namespace sluice::observe {
namespace {

std::atomic<std::uint64_t> next_family_id{1};

// Label values joined with a separator no label value we record contains
// (methods, route templates, status codes, configured names).
void join(std::string& key, std::initializer_list<std::string_view> values) {
  key.clear();
  for (auto v : values) {
    key += v;
    key += '\x1f';
  }
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

prometheus::MetricType type_of(const counter*) { return prometheus::MetricType::Counter; }
prometheus::MetricType type_of(const gauge*) { return prometheus::MetricType::Gauge; }
prometheus::MetricType type_of(const histogram*) { return prometheus::MetricType::Histogram; }

void fill(const counter& c, prometheus::ClientMetric& m) {
  m.counter.value = static_cast<double>(c.value());
}
void fill(const gauge& g, prometheus::ClientMetric& m) {
  m.gauge.value = static_cast<double>(g.value());
}
void fill(const histogram& h, prometheus::ClientMetric& m) {
  auto s = h.read();
  m.histogram.sample_count = s.count;
  m.histogram.sample_sum = s.sum;
  auto bounds = h.bounds();
  for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
    double le = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({s.cumulative[i], le});
  }
}

}  // namespace

template <class T>
family<T>::family(std::string name, std::string help, std::vector<std::string> label_names,
                  factory make)
    : id_(next_family_id.fetch_add(1)),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      make_(std::move(make)) {}

template <class T>
T& family<T>::with(std::initializer_list<std::string_view> values) {
  // The key buffer is reused, so a hit allocates nothing. Caches of families
  // that no longer exist stay behind under their (never reused) ids; there
  // are a handful per process, tests included.
  thread_local std::string key;
  thread_local std::unordered_map<std::uint64_t,
                                  std::unordered_map<std::string, T*, string_hash, std::equal_to<>>>
      cache;
  join(key, values);
  auto& mine = cache[id_];
  if (auto it = mine.find(std::string_view(key)); it != mine.end()) return *it->second;
  T& s = find_or_add(key, values);
  mine.emplace(key, &s);
  return s;
}

template <class T>
T& family<T>::find_or_add(const std::string& key, std::initializer_list<std::string_view> values) {
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  if (it == series_.end()) {
    series s{{values.begin(), values.end()}, make_()};
    it = series_.emplace(key, std::move(s)).first;
  }
  return *it->second.instrument;
}

template <class T>
prometheus::MetricFamily family<T>::collect() const {
  prometheus::MetricFamily out;
  out.name = name_;
  out.help = help_;
  out.type = type_of(static_cast<const T*>(nullptr));
  std::lock_guard lock(mu_);
  out.metric.reserve(series_.size());
  for (const auto& [key, s] : series_) {
    prometheus::ClientMetric m;
    for (std::size_t i = 0; i < label_names_.size() && i < s.values.size(); ++i) {
      m.label.push_back({label_names_[i], s.values[i]});
    }
    fill(*s.instrument, m);
    out.metric.push_back(std::move(m));
  }
  return out;
}

template <class T>
void family<T>::each(const visitor& f) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, s] : series_) f(s.values, *s.instrument);
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

}  // namespace sluice::observe
