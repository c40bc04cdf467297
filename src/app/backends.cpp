#include "app/backends.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "broker/sqlite/sqlite_broker.hpp"
#include "store/sqlite/sqlite_store.hpp"
#ifdef SLUICE_WITH_NATS
#include "broker/nats/nats_broker.hpp"
#endif
#ifdef SLUICE_WITH_RABBITMQ
#include "broker/rabbitmq/rabbitmq_broker.hpp"
#endif
#ifdef SLUICE_WITH_REDIS
#include "cache/redis/redis_pages.hpp"
#include "broker/redis/redis_broker.hpp"
#endif
#ifdef SLUICE_WITH_POSTGRES
#include <fstream>

#include "store/postgres/postgres_store.hpp"
#endif

namespace sluice::app {
namespace {

std::string scheme_of(const std::string& url) {
  auto pos = url.find("://");
  return pos == std::string::npos ? std::string() : url.substr(0, pos);
}

// The URL forms this build accepts for a key, for error messages.
std::string supported_forms(std::string_view key) {
  std::string forms = "sqlite://PATH";
  if (key == "store.url") {
#ifdef SLUICE_WITH_POSTGRES
    forms += ", postgres://USER@HOST:PORT/DB";
#endif
  } else {
#ifdef SLUICE_WITH_NATS
    forms += ", nats://HOST:PORT";
#endif
#ifdef SLUICE_WITH_REDIS
    forms += ", redis://HOST:PORT";
#endif
#ifdef SLUICE_WITH_RABBITMQ
    forms += ", amqp://USER:PASS@HOST:PORT/VHOST";
#endif
  }
  return forms;
}

[[noreturn]] void unsupported(const config::config& cfg, const char* key, const std::string& url) {
  throw config::config_error(cfg.source.string() + ": " + key + ": unsupported URL '" +
                             mask_password(url) + "' (this build supports " +
                             supported_forms(key) + ")");
}

// The settings every networked broker takes from [broker], in one place: the
// URL, SLUICE_BROKER_PASSWORD (overriding the URL's) where the broker takes a
// password, the namespace, the visibility timeout where it has one, the
// duplicate window and the publish queue bound.
template <class Options>
[[maybe_unused]] Options broker_options(const config::config& cfg) {
  Options o;
  o.url = cfg.broker.url;
  if constexpr (requires { o.password; }) {
    if (auto p = config::process_env("SLUICE_BROKER_PASSWORD"); p && !p->empty()) o.password = *p;
  }
  if constexpr (requires { o.visibility_timeout; }) {
    o.visibility_timeout = cfg.broker.visibility_timeout;
  }
  o.name_space = cfg.broker.name_space;
  o.dedup_window = cfg.broker.dedup_window;
  o.max_pending = cfg.broker.max_pending;
  return o;
}

// A broker that refuses its URL is a configuration error naming the key.
[[maybe_unused]] std::unique_ptr<broker::broker> opened(
    result<std::unique_ptr<broker::broker>> r, const config::config& cfg, const std::string& url) {
  if (!r) {
    throw config::config_error(cfg.source.string() + ": broker.url: unusable URL '" +
                               mask_password(url) + "'");
  }
  return std::move(*r);
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
  // libpq also takes ?password=… in the query.
  if (auto p = url.find("password="); p != std::string::npos) {
    auto end = url.find('&', p);
    return mask_password(url.substr(0, p)) + "password=***" +
           (end == std::string::npos ? "" : url.substr(end));
  }
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  auto at = url.find('@', scheme_end + 3);
  auto colon = url.find(':', scheme_end + 3);
  if (at == std::string::npos || colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

#ifdef SLUICE_WITH_NATS
namespace {
// nats://[user:pass@]host:port[,nats://…]: a JetStream stream per topic and a
// durable pull consumer per subscription, named under broker.namespace.
std::unique_ptr<broker::broker> open_nats_broker(const config::config& cfg) {
  auto o = broker_options<broker::nats_broker_options>(cfg);
  return opened(broker::make_nats_broker(o), cfg, o.url);
}
}  // namespace
#endif

#ifdef SLUICE_WITH_RABBITMQ
namespace {
// amqp://user:pass@host:port/vhost: a fanout exchange per topic and a durable
// (quorum) queue per subscription, named under broker.namespace. The password
// may also come from SLUICE_BROKER_PASSWORD (it then overrides the URL's).
std::unique_ptr<broker::broker> open_rabbitmq_broker(const config::config& cfg) {
  auto o = broker_options<broker::rabbitmq_broker_options>(cfg);
  o.max_prefetch = std::max<std::size_t>(cfg.pipeline.batch_size, 1);
  return opened(broker::make_rabbitmq_broker(o), cfg, o.url);
}
}  // namespace
#endif

#ifdef SLUICE_WITH_REDIS
namespace {
// redis://[user:password@]host:port[/db]: a stream per topic and a consumer
// group per subscription, keys under broker.namespace. The password may also
// come from SLUICE_BROKER_PASSWORD (it then overrides the URL's).
std::unique_ptr<broker::broker> open_redis_broker(const config::config& cfg) {
  auto o = broker_options<broker::redis_broker_options>(cfg);
  return opened(broker::make_redis_broker(o), cfg, o.url);
}
}  // namespace
#endif

std::unique_ptr<broker::broker> open_broker(const config::config& cfg) {
  const auto& url = cfg.broker.url;
#ifdef SLUICE_WITH_REDIS
  if (scheme_of(url) == "redis") return open_redis_broker(cfg);
#endif
#ifdef SLUICE_WITH_RABBITMQ
  if (scheme_of(url) == "amqp") return open_rabbitmq_broker(cfg);
#endif
#ifdef SLUICE_WITH_NATS
  if (scheme_of(url) == "nats") return open_nats_broker(cfg);
#endif
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

#ifdef SLUICE_WITH_POSTGRES
namespace {
// The password, from (first found) SLUICE_STORE_PASSWORD or store.password_file;
// empty lets libpq use the URL (an environment override), PGPASSWORD or
// PGPASSFILE/~/.pgpass. Never from the config text (config refuses that).
std::string store_password(const config::config& cfg) {
  if (auto p = config::process_env("SLUICE_STORE_PASSWORD"); p && !p->empty()) return *p;
  if (cfg.store.password_file.empty()) return {};
  std::ifstream in(cfg.store.password_file);
  std::string line;
  if (!in || !std::getline(in, line)) {
    throw config::config_error(cfg.source.string() + ": store.password_file: cannot read '" +
                               cfg.store.password_file + "'");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::unique_ptr<store::store> open_postgres_store(const config::config& cfg) {
  store::postgres_store_options o;
  o.url = cfg.store.url;
  o.password = store_password(cfg);
  o.pool_size = cfg.store.pool_size;
  o.connect_timeout = cfg.store.connect_timeout;
  o.statement_timeout = cfg.store.statement_timeout;
  std::string error;
  auto s = store::make_postgres_store(o, &error);
  if (!s) {
    throw config::config_error(cfg.source.string() + ": store.url: unusable URL '" +
                               mask_password(o.url) + "': " + error);
  }
  return std::move(*s);
}
}  // namespace
#endif

std::unique_ptr<store::store> open_store(const config::config& cfg) {
  const auto& url = cfg.store.url;
#ifdef SLUICE_WITH_POSTGRES
  if (scheme_of(url) == "postgres" || scheme_of(url) == "postgresql") return open_postgres_store(cfg);
#endif
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

std::unique_ptr<cache::shared_pages> open_shared_pages(const config::config& cfg) {
  const auto& c = cfg.cache;
  if (!c.enabled || c.url.empty()) return nullptr;
#ifdef SLUICE_WITH_REDIS
  if (scheme_of(c.url) == "redis") {
    cache::redis_pages_options o{.url = c.url, .name_space = cfg.broker.name_space, .ttl = c.shared_ttl};
    if (auto p = config::process_env("SLUICE_CACHE_PASSWORD"); p && !p->empty()) o.password = *p;
    auto pages = cache::make_redis_pages(o);
    if (!pages) {
      throw config::config_error(cfg.source.string() + ": cache.url: " + pages.error().message() +
                                 ": '" + mask_password(c.url) + "'");
    }
    return std::move(*pages);
  }
#endif
  throw config::config_error(cfg.source.string() + ": cache.url: unsupported URL '" +
                             mask_password(c.url) + "' (supported: redis://[user:password@]host[:port][/db])");
}

}  // namespace sluice::app
