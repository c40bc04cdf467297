#include "app/backends.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

// Every backend's factory header is plain C++ (no C library types), so all
// are included; only the table entries below depend on what this build has.
#include "broker/nats/nats_broker.hpp"
#include "broker/rabbitmq/rabbitmq_broker.hpp"
#include "broker/redis/redis_broker.hpp"
#include "broker/snssqs/snssqs_broker.hpp"
#include "broker/sqlite/sqlite_broker.hpp"
#include "cache/redis/redis_pages.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/replica_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace sluice::app {
namespace {

std::string scheme_of(const std::string& url) {
  auto pos = url.find("://");
  return pos == std::string::npos ? std::string() : url.substr(0, pos);
}

[[noreturn]] void refuse(const config::config& cfg, std::string_view key, const std::string& url,
                         const std::string& why) {
  throw config::config_error(cfg.source.string() + ": " + std::string(key) + ": " + why + " '" +
                             mask_password(url) + "'");
}

// A networked backend's factory only checks its URL (it connects later), so
// its failure is a configuration error naming the key and the library's words.
template <class T>
std::unique_ptr<T> opened(result<std::unique_ptr<T>> r, const config::config& cfg,
                          std::string_view key, const std::string& url) {
  if (!r) {
    // A library may quote the URL back: never with its password.
    auto why = r.message();
    if (auto at = why.find(url); !url.empty() && at != std::string::npos) {
      why.replace(at, url.size(), mask_password(url));
    }
    refuse(cfg, key, url, "unusable URL (" + why + ")");
  }
  return std::move(*r);
}

// An embedded backend's factory opens its file: its failure names the role
// and SQLite's words with the path, e.g. "store: unable to open database file (/x.db)".
template <class T>
std::unique_ptr<T> opened_file(result<std::unique_ptr<T>> r, std::string_view role) {
  if (!r) throw std::runtime_error(std::string(role) + ": " + r.message());
  return std::move(*r);
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

void make_parent_dir(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
}

// ---- brokers ----------------------------------------------------------------

// sqlite://PATH: the embedded queue, one cursor table per subscription.
std::unique_ptr<broker::broker> open_sqlite_broker(const config::config& cfg) {
  broker::sqlite_broker_options o;
  o.path = sqlite_path(cfg.broker.url);
  if (o.path.empty()) refuse(cfg, "broker.url", cfg.broker.url, "no path in");
  o.visibility_timeout = cfg.broker.visibility_timeout;
  o.poll_interval = cfg.pipeline.poll_interval;
  o.max_pending = cfg.broker.max_pending;
  o.dedup_window = cfg.broker.dedup_window;
  o.reserve_bytes = cfg.broker.reserve_bytes;
  make_parent_dir(o.path);
  return opened_file(broker::make_sqlite_broker(o), "broker");
}

// nats://[user:pass@]host:port[,nats://…]: a JetStream stream per topic and a
// durable pull consumer per subscription, named under broker.namespace.
[[maybe_unused]] std::unique_ptr<broker::broker> open_nats_broker(const config::config& cfg) {
  auto o = broker_options<broker::nats_broker_options>(cfg);
  o.replicas = static_cast<int>(cfg.broker.replicas);
  return opened(broker::make_nats_broker(o), cfg, "broker.url", o.url);
}

// amqp://user:pass@host:port/vhost: a fanout exchange per topic and a durable
// (quorum) queue per subscription, named under broker.namespace.
[[maybe_unused]] std::unique_ptr<broker::broker> open_rabbitmq_broker(const config::config& cfg) {
  auto o = broker_options<broker::rabbitmq_broker_options>(cfg);
  o.max_prefetch = std::max<std::size_t>(cfg.pipeline.batch_size, 1);
  return opened(broker::make_rabbitmq_broker(o), cfg, "broker.url", o.url);
}

// redis://[user:password@]host:port[/db]: a stream per topic and a consumer
// group per subscription, keys under broker.namespace.
[[maybe_unused]] std::unique_ptr<broker::broker> open_redis_broker(const config::config& cfg) {
  auto o = broker_options<broker::redis_broker_options>(cfg);
  return opened(broker::make_redis_broker(o), cfg, "broker.url", o.url);
}

// sns+sqs://REGION: an SNS topic per topic and an SQS queue per subscription,
// named under broker.namespace; broker.aws_endpoint/aws_ca_file/fifo/
// message_group_field; credentials from the standard AWS chain.
[[maybe_unused]] std::unique_ptr<broker::broker> open_snssqs_broker(const config::config& cfg) {
  auto o = broker_options<broker::snssqs_broker_options>(cfg);
  o.endpoint = cfg.broker.aws_endpoint;
  o.ca_file = cfg.broker.aws_ca_file;
  o.fifo = cfg.broker.fifo;
  o.group_field = cfg.broker.message_group_field;
  o.max_receives = std::clamp<std::size_t>((cfg.pipeline.batch_size + 9) / 10, 1, 50);
  return opened(broker::make_snssqs_broker(o), cfg, "broker.url", o.url);
}

// ---- stores -----------------------------------------------------------------

std::unique_ptr<store::store> open_sqlite_store(const config::config& cfg) {
  store::sqlite_store_options o;
  o.path = sqlite_path(cfg.store.url);
  if (o.path.empty()) refuse(cfg, "store.url", cfg.store.url, "no path in");
  o.readers = cfg.store.read_threads;
  make_parent_dir(o.path);
  return opened_file(store::make_sqlite_store(o), "store");
}

// The password, from (first found) SLUICE_STORE_PASSWORD or store.password_file;
// empty lets libpq use the URL (an environment override), PGPASSWORD or
// PGPASSFILE/~/.pgpass. Never from the config text (config refuses that).
[[maybe_unused]] std::string store_password(const config::config& cfg) {
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

// postgres://user@host:port/db (any libpq URL): tables and migrations in it.
[[maybe_unused]] std::unique_ptr<store::store> open_postgres_store(const config::config& cfg) {
  store::postgres_store_options o;
  o.url = cfg.store.url;
  o.password = store_password(cfg);
  o.pool_size = cfg.store.pool_size;
  o.connect_timeout = cfg.store.connect_timeout;
  o.statement_timeout = cfg.store.statement_timeout;
  return opened(store::make_postgres_store(o), cfg, "store.url", o.url);
}

// ---- shared page caches -----------------------------------------------------

// redis://[user:password@]host[:port][/db], the password also from
// SLUICE_CACHE_PASSWORD (it then overrides the URL's).
[[maybe_unused]] std::unique_ptr<cache::shared_pages> open_redis_pages(const config::config& cfg) {
  const auto& c = cfg.cache;
  cache::redis_pages_options o{.url = c.url, .name_space = cfg.broker.name_space, .ttl = c.shared_ttl};
  if (auto p = config::process_env("SLUICE_CACHE_PASSWORD"); p && !p->empty()) o.password = *p;
  return opened(cache::make_redis_pages(o), cfg, "cache.url", c.url);
}

// ---- the registry: one line per backend -------------------------------------

template <class T>
struct backend {
  std::string_view scheme;
  std::string_view form;  // for "this build supports …"
  std::unique_ptr<T> (*open)(const config::config&);
};

const std::vector<backend<broker::broker>> k_brokers = {
    {"sqlite", "sqlite://PATH", open_sqlite_broker},
#ifdef SLUICE_WITH_NATS
    {"nats", "nats://[USER:PASS@]HOST:PORT[,…]", open_nats_broker},
#endif
#ifdef SLUICE_WITH_REDIS
    {"redis", "redis://[USER:PASS@]HOST:PORT[/DB]", open_redis_broker},
#endif
#ifdef SLUICE_WITH_RABBITMQ
    {"amqp", "amqp://USER:PASS@HOST:PORT/VHOST", open_rabbitmq_broker},
#endif
#ifdef SLUICE_WITH_SNSSQS
    {"sns+sqs", "sns+sqs://REGION", open_snssqs_broker},
#endif
};

const std::vector<backend<store::store>> k_stores = {
    {"sqlite", "sqlite://PATH", open_sqlite_store},
#ifdef SLUICE_WITH_POSTGRES
    {"postgres", "postgres://USER@HOST:PORT/DB", open_postgres_store},
    {"postgresql", "postgresql://USER@HOST:PORT/DB", open_postgres_store},
#endif
};

// Empty in a build without Redis: no shared cache then.
const std::vector<backend<cache::shared_pages>> k_shared_pages = {
#ifdef SLUICE_WITH_REDIS
    {"redis", "redis://[USER:PASS@]HOST[:PORT][/DB]", open_redis_pages},
#endif
};

template <class T>
std::unique_ptr<T> open_from(const std::vector<backend<T>>& table, const config::config& cfg,
                             std::string_view key, const std::string& url) {
  const auto scheme = scheme_of(url);
  std::string forms;
  for (const auto& b : table) {
    if (b.scheme == scheme) return b.open(cfg);
    forms += (forms.empty() ? "" : ", ") + std::string(b.form);
  }
  refuse(cfg, key, url, "unsupported URL (this build supports " +
                            (forms.empty() ? std::string("none") : forms) + "):");
}

}  // namespace

std::string sqlite_path(const std::string& url) {
  constexpr std::string_view prefix = "sqlite://";
  return url.rfind(prefix, 0) == 0 ? url.substr(prefix.size()) : std::string();
}

std::unique_ptr<broker::broker> open_broker(const config::config& cfg) {
  return open_from<broker::broker>(k_brokers, cfg, "broker.url", cfg.broker.url);
}

std::unique_ptr<store::store> open_store(const config::config& cfg) {
  auto primary = open_from<store::store>(k_stores, cfg, "store.url", cfg.store.url);
  if (cfg.store.read_url.empty()) return primary;
  // store.read_url: a replica of a PostgreSQL store.url, with its password.
  if (scheme_of(cfg.store.url) == "sqlite" || scheme_of(cfg.store.read_url) == "sqlite") {
    throw config::config_error(cfg.source.string() +
                               ": store.read_url: only for a PostgreSQL store.url (a replica of it)");
  }
  config::config replica_cfg = cfg;
  replica_cfg.store.url = cfg.store.read_url;
  auto replica = open_from<store::store>(k_stores, replica_cfg, "store.read_url", cfg.store.read_url);
  return std::make_unique<store::replica_routing_store>(std::move(primary), std::move(replica));
}

std::unique_ptr<cache::shared_pages> open_shared_pages(const config::config& cfg) {
  if (!cfg.cache.enabled || cfg.cache.url.empty()) return nullptr;
  return open_from<cache::shared_pages>(k_shared_pages, cfg, "cache.url", cfg.cache.url);
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
