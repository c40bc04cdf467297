#include "cache/version_clock.hpp"

namespace sluice::cache {

std::optional<std::int64_t> version_clock::fresh(std::string_view table) const {
  if (max_staleness_.count() == 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = known_.find(table);
  if (it == known_.end() || std::chrono::steady_clock::now() - it->second.at > max_staleness_) {
    return std::nullopt;
  }
  return it->second.version;
}

void version_clock::observe(std::string_view table, std::int64_t version) {
  if (max_staleness_.count() == 0) return;
  std::lock_guard lock(mu_);
  auto it = known_.find(table);
  if (it == known_.end()) {
    known_.emplace(std::string(table), known{version, std::chrono::steady_clock::now()});
  } else if (version >= it->second.version) {
    it->second = {version, std::chrono::steady_clock::now()};
  }
}

}  // namespace sluice::cache
