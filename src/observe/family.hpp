#pragma once
// A metric family: name, help, label names and one instrument (counter, gauge
// or histogram from instruments.hpp) per combination of label values. Series
// are created on first use and live as long as the family, so references to
// them stay valid.
//
// Thread safety: with() may be called from any thread. Each thread keeps its
// own map from label values to series, so after a thread's first use of a
// series, finding it again takes no lock; only a thread's first use of a
// series takes the family's mutex. collect() takes that mutex to list the
// series and reads their atomics without stopping recorders.
//
// Internal to src/observe (prometheus-cpp's MetricFamily is the output).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
struct MetricFamily;
}

namespace sluice::observe {

class family_base {
 public:
  virtual ~family_base() = default;
  virtual prometheus::MetricFamily collect() const = 0;
};

// T is counter, gauge or histogram (explicitly instantiated in family.cpp).
template <class T>
class family final : public family_base {
 public:
  using factory = std::function<std::unique_ptr<T>()>;
  family(std::string name, std::string help, std::vector<std::string> label_names,
         factory make = [] { return std::make_unique<T>(); });

  // The series with these label values, in the order of the label names.
  // REQUIRES: values.size() == label_names.size().
  T& with(std::initializer_list<std::string_view> values);

  prometheus::MetricFamily collect() const override;

  // Calls `f(label values, instrument)` for every series, under the family's
  // mutex (recorders are not held up: they only take it on a first use).
  // For the stats windows' once-a-second sample (windows.hpp).
  using visitor = std::function<void(const std::vector<std::string>&, const T&)>;
  void each(const visitor& f) const;

 private:
  struct series {
    std::vector<std::string> values;
    std::unique_ptr<T> instrument;
  };
  T& find_or_add(const std::string& key, std::initializer_list<std::string_view> values);

  const std::uint64_t id_;  // unique per family ever made: keys the per-thread caches
  std::string name_, help_;
  std::vector<std::string> label_names_;
  factory make_;
  mutable std::mutex mu_;                            // guards series_
  std::map<std::string, series, std::less<>> series_;  // by joined label values
};

class counter;
class gauge;
class histogram;
extern template class family<counter>;
extern template class family<gauge>;
extern template class family<histogram>;

}  // namespace sluice::observe
