#include "support/broker_backends.hpp"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "broker/nats/nats_broker.hpp"
#include "broker/rabbitmq/rabbitmq_broker.hpp"
#include "broker/redis/redis_broker.hpp"
#include "broker/snssqs/snssqs_broker.hpp"
#include "broker/sqlite/sqlite_broker.hpp"
#include "support/fauxqs_server.hpp"
#include "support/nats_server.hpp"
#include "support/rabbitmq_server.hpp"
#include "support/redis_server.hpp"
#include "support/sluice_process.hpp"

namespace sluice::testing {
namespace {

class sqlite_backend final : public broker_backend {
 public:
  explicit sqlite_backend(const broker_backend_options& o) {
    options_.path = (dir_.path() / "queue.db").string();
    options_.visibility_timeout = o.visibility_timeout;
    options_.poll_interval = std::chrono::milliseconds(20);
  }
  bool open() {
    client_.reset();
    client_ = open_client();
    return client_ != nullptr;
  }
  broker::broker& get() override { return *client_; }
  std::unique_ptr<broker::broker> open_client() override {
    auto b = broker::make_sqlite_broker(options_);
    return b ? std::move(*b) : nullptr;
  }
  bool restart(bool) override { return open(); }

 private:
  temp_dir dir_;
  broker::sqlite_broker_options options_;
  std::unique_ptr<broker::broker> client_;
};

// A client of a shared broker server; each backend (test) gets its own
// namespace. The same client lives across server restarts: it must reconnect
// by itself. `make` builds a client from the options.
template <class Server, class Options>
class server_backend final : public broker_backend {
 public:
  using factory = result<std::unique_ptr<broker::broker>> (*)(const Options&);
  server_backend(Server& server, Options options, factory make)
      : server_(server), options_(std::move(options)), make_(make) {
    static int n = 0;
    options_.url = server.url();
    options_.name_space = "c" + std::to_string(getpid()) + "_" + std::to_string(++n);
  }
  bool open() {
    client_ = open_client();
    return client_ && reachable();
  }
  broker::broker& get() override { return *client_; }
  std::unique_ptr<broker::broker> open_client() override {
    auto b = make_(options_);
    return b ? std::move(*b) : nullptr;
  }
  bool restart(bool hard) override { return server_.restart(hard) && reachable(); }
  bool freeze(bool on) override {
    server_.signal(on ? SIGSTOP : SIGCONT);
    return true;
  }
  bool ordered_groups() const override {
    if constexpr (requires { options_.fifo; }) {
      return options_.fifo;
    } else {
      return false;
    }
  }
  bool keeps_messages_on_restart() const override {
    if constexpr (requires { Server::in_memory; }) {
      return !Server::in_memory;
    } else {
      return true;
    }
  }

 private:
  bool reachable() {
    for (int i = 0; i < 300; ++i) {  // ≤ 30 s
      if (!client_->ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  Server& server_;
  Options options_;
  factory make_;
  std::unique_ptr<broker::broker> client_;
};

template <class Server, class Options>
std::unique_ptr<broker_backend> open_backend(Server* server, Options options,
                                             typename server_backend<Server, Options>::factory make) {
  if (server == nullptr) return nullptr;
  auto b = std::make_unique<server_backend<Server, Options>>(*server, std::move(options), make);
  if (!b->open()) return nullptr;
  return b;
}

std::unique_ptr<broker_backend> open_sqlite(const broker_backend_options& options) {
  auto b = std::make_unique<sqlite_backend>(options);
  if (b->open()) return b;
  return nullptr;
}

[[maybe_unused]] std::unique_ptr<broker_backend> open_nats(const broker_backend_options& options) {
  broker::nats_broker_options o;
  o.visibility_timeout = options.visibility_timeout;
  o.reconnect_max = std::chrono::milliseconds(500);
  return open_backend(nats_server::shared(), o, &broker::make_nats_broker);
}

[[maybe_unused]] std::unique_ptr<broker_backend> open_rabbitmq(const broker_backend_options&) {
  broker::rabbitmq_broker_options o;  // redelivers on consumer loss, not on a timer
  o.retry_max = std::chrono::milliseconds(500);
  return open_backend(rabbitmq_server::shared(), o, &broker::make_rabbitmq_broker);
}

[[maybe_unused]] std::unique_ptr<broker_backend> open_redis(const broker_backend_options& options) {
  broker::redis_broker_options o;
  o.visibility_timeout = options.visibility_timeout;
  o.retry_max = std::chrono::milliseconds(500);
  return open_backend(redis_server::shared(), o, &broker::make_redis_broker);
}

[[maybe_unused]] std::unique_ptr<broker_backend> open_snssqs(const broker_backend_options& options,
                                                              bool fifo) {
  auto* server = fauxqs_server::shared();
  broker::snssqs_broker_options o;
  o.endpoint = server ? server->endpoint() : "";
  o.fifo = fifo;
  o.visibility_timeout = options.visibility_timeout;
  o.request_timeout = std::chrono::milliseconds(3000);
  o.min_wait = std::chrono::seconds(0);  // pulls end by their wait (the suite relies on it)
  return open_backend(server, o, &broker::make_snssqs_broker);
}

template <class Server>
std::map<std::string, std::string> url_env(Server* server) {
  if (server == nullptr) return {};
  return {{"SLUICE_BROKER_URL", server->url()}};
}

[[maybe_unused]] std::map<std::string, std::string> snssqs_env(bool fifo) {
  auto* server = fauxqs_server::shared();
  return server ? server->sluice_env(fifo) : std::map<std::string, std::string>{};
}

// The backends under test, one line each (mirrors app/backends.cpp).
struct entry {
  const char* name;
  // For `sluice` under test: its environment (SLUICE_BROKER_URL…); empty for the embedded queue.
  std::map<std::string, std::string> (*env)();
  std::unique_ptr<broker_backend> (*open)(const broker_backend_options&);
};

const std::vector<entry>& registry() {
  static const std::vector<entry> table = {
      {"sqlite", [] { return std::map<std::string, std::string>{}; }, open_sqlite},
#if SLUICE_WITH_NATS
      {"nats", [] { return url_env(nats_server::shared()); }, open_nats},
#endif
#if SLUICE_WITH_RABBITMQ
      {"rabbitmq", [] { return url_env(rabbitmq_server::shared()); }, open_rabbitmq},
#endif
#if SLUICE_WITH_REDIS
      {"redis", [] { return url_env(redis_server::shared()); }, open_redis},
#endif
#if SLUICE_WITH_SNSSQS
      {"snssqs", [] { return snssqs_env(false); }, [](const broker_backend_options& o) { return open_snssqs(o, false); }},
      {"snssqs_fifo", [] { return snssqs_env(true); }, [](const broker_backend_options& o) { return open_snssqs(o, true); }},
#endif
  };
  return table;
}

const entry* find(const std::string& name) {
  for (const auto& e : registry()) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> broker_backend_names() {
  std::vector<std::string> names;
  for (const auto& e : registry()) names.emplace_back(e.name);
  return names;
}

std::string broker_url_for_tests(const std::string& name) {
  auto env = broker_env_for_tests(name);
  return env.count("SLUICE_BROKER_URL") ? env["SLUICE_BROKER_URL"] : "";
}

std::map<std::string, std::string> broker_env_for_tests(const std::string& name) {
  const auto* e = find(name);
  return e ? e->env() : std::map<std::string, std::string>{};
}

std::unique_ptr<broker_backend> make_broker_backend(const std::string& name,
                                                    const broker_backend_options& options) {
  const auto* e = find(name);
  return e ? e->open(options) : nullptr;
}

}  // namespace sluice::testing
