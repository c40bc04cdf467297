#include "app/service.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <thread>

#include "api/ops_listener.hpp"
#include "api/router.hpp"
#include "api/version_reader.hpp"
#include "app/auth_setup.hpp"
#include "app/backends.hpp"
#include "http/server.hpp"
#include "net/address.hpp"
#include "observe/log.hpp"
#include "observe/metrics.hpp"
#include "pipeline/ingest.hpp"
#include "pipeline/subscriber.hpp"
#include "store/health.hpp"

namespace sluice::app {
namespace {

namespace asio = boost::asio;

pipeline::subscriber_options subscriber_options_of(const config::config& cfg) {
  pipeline::subscriber_options o;
  o.batch_size = cfg.pipeline.batch_size;
  o.pull_wait = std::max(cfg.pipeline.poll_interval, std::chrono::milliseconds(1));
  o.retry_min = cfg.pipeline.retry_min;
  o.retry_max = cfg.pipeline.retry_max;
  o.max_deliveries = cfg.broker.max_deliveries;
  o.json_depth = cfg.http.json_depth;
  return o;
}

unsigned io_threads(const config::config& cfg) {
  if (cfg.http.threads > 0) return cfg.http.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Catches SIGINT and SIGTERM from construction on (so that a signal during
// start-up is not fatal); wait() returns once one arrived. SIGHUP (caught
// from construction on too) runs the on_reload hooks, on the thread in
// wait(), and goes on waiting.
class signal_waiter {
 public:
  signal_waiter() : signals_(io_, SIGINT, SIGTERM), hup_(io_, SIGHUP) {
    signals_.async_wait([this](boost::system::error_code, int sig) {
      received_ = sig;
      hup_.cancel();  // nothing else keeps io_ running
    });
    arm_hup();
  }
  // REQUIRES: before wait(); `hook` outlives wait().
  void on_reload(std::function<void()> hook) { hooks_.push_back(std::move(hook)); }
  void wait() {
    io_.run();
    observe::info("stopping", {{"signal", received_}});
    observe::flush();
  }
  // Waits up to `d` for SIGINT/SIGTERM (SIGHUP's hooks run meanwhile); true
  // when one has arrived. A wait() after a true answer returns at once.
  bool stop_within(std::chrono::milliseconds d) {
    if (received_ == 0) io_.run_for(d);
    return received_ != 0;
  }

 private:
  void arm_hup() {
    hup_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      observe::info("SIGHUP: reloading", {{"hooks", hooks_.size()}});
      for (auto& h : hooks_) h();
      arm_hup();
    });
  }

  asio::io_context io_;
  asio::signal_set signals_;
  asio::signal_set hup_;
  std::vector<std::function<void()>> hooks_;
  int received_ = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (connections are file
// descriptors) and returns the resulting soft limit.
std::size_t raise_open_files() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? 1'048'576 : static_cast<std::size_t>(lim.rlim_cur);
}

// http.max_connections = 0: what the descriptors allow once the store's and
// broker's connections, files and the probe reserve have theirs.
std::size_t max_connections_of(const config::config& cfg, std::size_t open_files) {
  if (cfg.http.max_connections > 0) return cfg.http.max_connections;
  std::size_t reserved = 256 + cfg.store.pool_size + cfg.store.read_threads;
  return open_files > reserved + 16 ? open_files - reserved : 16;
}

// Declares the topology, waiting for a broker that is not up yet (a process
// started before its broker, a cluster node restarting, JetStream electing
// a leader): a transient failure is retried after 200 ms, doubling to 5 s,
// one log line each. A refusal (errc::refused: credentials, TLS, a topology
// the server rejects) is returned at once — waiting would not mend it — and
// a stop signal ends the wait with errc::closed.
std::error_code declare_when_ready(broker::broker& b, std::span<const broker::topology> topo,
                                   signal_waiter& signals, const config::config& cfg) {
  using std::chrono::milliseconds;
  milliseconds pause(200);
  for (int attempt = 1;; ++attempt) {
    auto ec = b.declare(topo);
    if (!ec || ec == broker::errc::refused || ec == broker::errc::closed) return ec;
    observe::warn("broker not ready; declaring the subscriptions again",
                  {{"broker", mask_password(cfg.broker.url)},
                   {"error", ec.message()},
                   {"attempt", attempt},
                   {"retry_in_ms", pause.count()}});
    if (signals.stop_within(pause)) return broker::errc::closed;
    pause = std::min(pause * 2, milliseconds(5'000));
  }
}

}  // namespace

int run_migrate(const config::config& cfg) {
  auto store = open_store(cfg);
  auto tables = tables_of(cfg);
  if (auto ec = store->migrate(tables)) {
    observe::error("migration failed", {{"store", mask_password(cfg.store.url)}, {"error", ec.message()}});
    return 1;
  }
  auto broker = open_broker(cfg);
  auto topo = topology_of(cfg);
  signal_waiter signals;  // from here on, SIGTERM ends a wait for the broker
  if (auto ec = declare_when_ready(*broker, topo, signals, cfg)) {
    if (ec == broker::errc::closed) return 0;  // stopped by a signal
    observe::error("declaring subscriptions failed",
                   {{"broker", mask_password(cfg.broker.url)}, {"error", ec.message()}});
    return 1;
  }
  broker->close();
  observe::info("migrated", {{"tables", tables.size()}, {"subscriptions", topo.size()}});
  return 0;
}

int run_service(const config::config& cfg, roles r) {
  signal_waiter signals;
  // Before any backend is opened: a refused [auth] is a configuration error.
  authentication authn;
  if (r.api) {
    authn = make_authenticator(cfg);
    if (authn.reload) signals.on_reload(authn.reload);
  } else {
    authn.authenticator = auth::make_open_authenticator();  // the ops listener needs none
  }
  // A worker alone serves http.ops_listen (probes, /metrics: its lag gauges)
  // when it is set, and no API.
  const bool serve_http = r.api || !cfg.http.ops_listen.empty();
  const std::size_t open_files = raise_open_files();
  observe::metrics metrics(SLUICE_VERSION);
  metrics.start_windows(cfg.slo.routes);  // /v1/ops/stats and the console
  // Every call's outcome feeds /readyz (readers' and subscribers' alike).
  store::health store_health;
  auto store = store::health_recording_store(open_store(cfg), store_health);
  auto tables = tables_of(cfg);
  auto ec = cfg.store.migrate_on_start ? store->migrate(tables) : store->attach(tables);
  if (ec) {
    observe::error("store set-up failed",
                   {{"store", mask_password(cfg.store.url)}, {"error", ec.message()}});
    return 1;
  }
  auto broker = open_broker(cfg);
  auto topo = topology_of(cfg);
  if ((ec = declare_when_ready(*broker, topo, signals, cfg))) {
    if (ec == broker::errc::closed) {
      observe::info("stopped before the broker was ready");
      return 0;
    }
    observe::error("declaring subscriptions failed",
                   {{"broker", mask_password(cfg.broker.url)}, {"error", ec.message()}});
    return 1;
  }

  // This process's own commits move its cache's versions at once.
  cache::version_clock versions(cfg.cache.max_staleness);
  // Set while the API runs: this process's commits wake its `Prefer: wait`s.
  std::atomic<pipeline::ingest*> local_ingest{nullptr};
  // Subscribers first, so that a POST accepted at once has somewhere to go.
  std::vector<std::unique_ptr<pipeline::subscriber>> subscribers;
  if (r.worker) {
    for (const auto& sub : cfg.subscriptions) {
      auto options = subscriber_options_of(cfg);
      options.on_commit = [&versions, &local_ingest](const std::string& table, std::int64_t v) {
        versions.observe(table, v);
        if (auto* in = local_ingest.load()) in->committed(table);
      };
      subscribers.push_back(std::make_unique<pipeline::subscriber>(
          *broker, *store, sub, *cfg.find_resource(sub.resource), options, metrics));
      subscribers.back()->start();
    }
  }

  auto close_pipeline = [&subscribers, &broker] {
    for (auto& s : subscribers) s->stop();  // each finishes its batch in hand
    broker->close();                        // completes publishes already accepted
  };
  std::atomic<bool> stopping{false};
  if (serve_http) {
    asio::io_context io;
    asio::thread_pool blocking(std::max(2u, cfg.store.read_threads));
    cache::page_cache pages(cfg.cache.enabled ? cfg.cache.max_bytes : 0);
    auto shared = open_shared_pages(cfg);
    api::version_reader version_reads(*store, blocking);
    pipeline::ingest ingest(cfg, *broker, *store, metrics, blocking);
    local_ingest = &ingest;
    auth::rate_limiter rate_limits;
    auth::rate_limiter address_limits(cfg.auth.anonymous_max_addresses);
    api::context ctx{cfg,      ingest, *store,   metrics,      blocking,
                     stopping, pages,  versions, shared.get(), version_reads,
                     store_health, *authn.authenticator, rate_limits, &address_limits};
    http::server_options so;
    if (!http::split_host_port(cfg.http.listen, so.host, so.port)) return 1;  // config checked it
    so.body_limit = cfg.http.body_limit;
    so.header_limit = cfg.http.header_limit;
    so.read_timeout = cfg.http.read_timeout;
    so.idle_timeout = cfg.http.idle_timeout;
    so.query_limit = cfg.http.query_limit;
    so.max_connections = max_connections_of(cfg, open_files);
    so.access_log = cfg.log.access_log;
    so.trusted_proxies = net::parse_cidr_list(cfg.http.trusted_proxies).value_or(
        std::vector<net::cidr>{});  // config checked it
    // The ops listener: plain HTTP, probes and metrics only, same limits.
    http::server_options ops_so = so;
    so.tls = {cfg.http.tls_cert_file, cfg.http.tls_key_file, cfg.http.tls_client_ca_file};
    std::unique_ptr<http::server> server;
    if (r.api) server = std::make_unique<http::server>(io, so, api::make_handler(ctx), metrics);
    if (server && so.tls.enabled()) {
      if (auto why = server->load_tls()) {
        observe::error("cannot load the TLS certificate", {{"error", *why}});
        return 1;
      }
      // A failed reload keeps the certificate in use (load_tls's contract).
      signals.on_reload([&server] {
        if (auto why = server->load_tls()) {
          observe::error("TLS reload failed; the previous certificate stays", {{"error", *why}});
        }
      });
    }
    if (server) {
      if (auto ec = server->listen()) {
        observe::error("cannot listen", {{"listen", cfg.http.listen}, {"error", ec.message()}});
        return 1;
      }
    }
    std::unique_ptr<http::server> ops;
    if (!cfg.http.ops_listen.empty()) {
      if (!http::split_host_port(cfg.http.ops_listen, ops_so.host, ops_so.port)) return 1;
      ops = std::make_unique<http::server>(io, ops_so, api::make_ops_handler(ctx), metrics);
      if (auto ec = ops->listen()) {
        observe::error("cannot listen",
                       {{"ops_listen", cfg.http.ops_listen}, {"error", ec.message()}});
        return 1;
      }
      ops->start();
      observe::info("ops listening", {{"address", ops_so.host},
                                      {"port", ops->port()},
                                      {"serves", "/healthz /readyz /metrics"}});
    }
    if (server) server->start();
    auto work = asio::make_work_guard(io);
    std::vector<std::thread> threads;
    const unsigned n_threads = server ? io_threads(cfg) : 1;
    for (unsigned i = 0; i < n_threads; ++i) threads.emplace_back([&io] { io.run(); });
    if (!server) {
      observe::info("worker running", {{"store", mask_password(cfg.store.url)},
                                       {"broker", mask_password(cfg.broker.url)},
                                       {"workers", subscribers.size()}});
    } else {
      observe::info("listening",
                    {{"address", so.host},
                     {"port", server->port()},
                     {"tls", so.tls.enabled()},
                     {"io_threads", threads.size()},
                     {"max_connections", so.max_connections},
                     {"store", mask_password(cfg.store.url)},
                     {"broker", mask_password(cfg.broker.url)},
                     {"workers", subscribers.size()},
                     {"auth", cfg.auth.mode == config::auth_mode::none ? "none" : "required"}});
    }
    observe::flush();
    signals.wait();
    stopping = true;
    if (server) {
      std::promise<void> drained;
      server->shutdown(cfg.http.shutdown_grace, [&drained] { drained.set_value(); });
      drained.get_future().wait();
    }
    if (ops) {
      // Probes were answered until the API drained (readyz says "stopping").
      std::promise<void> ops_drained;
      ops->shutdown(std::chrono::milliseconds(0), [&ops_drained] { ops_drained.set_value(); });
      ops_drained.get_future().wait();
    }
    // The pipeline closes while the io threads still run: a publish in flight
    // when the grace period ended completes on `io`, so the broker must be
    // closed (its completions delivered) before `io` stops and is destroyed.
    close_pipeline();
    local_ingest = nullptr;  // the subscribers have stopped: no more commits
    work.reset();
    io.stop();
    for (auto& t : threads) t.join();
    blocking.join();
  } else {
    observe::info("worker running", {{"store", mask_password(cfg.store.url)},
                                     {"broker", mask_password(cfg.broker.url)},
                                     {"workers", subscribers.size()}});
    observe::flush();
    signals.wait();
    close_pipeline();
  }
  observe::info("stopped");
  observe::flush();
  return 0;
}

}  // namespace sluice::app
