#include "app/backends.hpp"

#include <filesystem>
#include <stdexcept>

#include "broker/sqlite/sqlite_broker.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace sluice::app {
namespace {

std::string scheme_of(const std::string& url) {
  auto pos = url.find("://");
  return pos == std::string::npos ? std::string() : url.substr(0, pos);
}

[[noreturn]] void unsupported(const config::config& cfg, const char* key, const std::string& url) {
  throw config::config_error(cfg.source.string() + ": " + key + ": unsupported URL '" +
                             mask_password(url) + "' (this build supports sqlite://PATH)");
}

void make_parent_dir(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
}

}  // namespace

std::string sqlite_path(const std::string& url) {
  constexpr std::string_view prefix = "sqlite://";
  return url.rfind(prefix, 0) == 0 ? url.substr(prefix.size()) : std::string();
}

std::string mask_password(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  auto at = url.find('@', scheme_end + 3);
  auto colon = url.find(':', scheme_end + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::unique_ptr<broker::broker> open_broker(const config::config& cfg) {
  const auto& url = cfg.broker.url;
  if (scheme_of(url) != "sqlite" || sqlite_path(url).empty()) unsupported(cfg, "broker.url", url);
  broker::sqlite_broker_options o;
  o.path = sqlite_path(url);
  o.visibility_timeout = cfg.broker.visibility_timeout;
  o.poll_interval = cfg.pipeline.poll_interval;
  o.max_pending = cfg.broker.max_pending;
  o.dedup_window = cfg.broker.dedup_window;
  make_parent_dir(o.path);
  auto b = broker::make_sqlite_broker(o);
  if (!b) throw std::runtime_error("cannot open the queue at " + o.path + ": " + b.error().message());
  return std::move(*b);
}

std::unique_ptr<store::store> open_store(const config::config& cfg) {
  const auto& url = cfg.store.url;
  if (scheme_of(url) != "sqlite" || sqlite_path(url).empty()) unsupported(cfg, "store.url", url);
  store::sqlite_store_options o;
  o.path = sqlite_path(url);
  o.readers = cfg.store.read_threads;
  make_parent_dir(o.path);
  auto s = store::make_sqlite_store(o);
  if (!s) throw std::runtime_error("cannot open the store at " + o.path + ": " + s.error().message());
  return std::move(*s);
}

std::vector<store::table_def> tables_of(const config::config& cfg) {
  std::vector<store::table_def> own, copies;
  for (const auto& sub : cfg.subscriptions) {
    const auto* res = cfg.find_resource(sub.resource);
    (sub.table == sub.resource ? own : copies).push_back({sub.table, res});
  }
  for (const auto& r : cfg.resources) {  // a resource is readable even with no subscription of its own
    bool present = false;
    for (const auto& t : own) present = present || t.table == r.name;
    if (!present) own.push_back({r.name, &r});
  }
  own.insert(own.end(), copies.begin(), copies.end());
  return own;
}

std::vector<broker::topology> topology_of(const config::config& cfg) {
  std::vector<broker::topology> out;
  for (const auto& sub : cfg.subscriptions) out.push_back({sub.name, sub.resource});
  return out;
}

}  // namespace sluice::app
