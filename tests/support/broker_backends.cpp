#include "support/broker_backends.hpp"

#include "broker/sqlite/sqlite_broker.hpp"
#include "support/sluice_process.hpp"
#if SLUICE_WITH_NATS
#include <unistd.h>

#include <thread>

#include "broker/nats/nats_broker.hpp"
#include "support/nats_server.hpp"
#endif
#if SLUICE_WITH_RABBITMQ
#include <unistd.h>

#include <thread>

#include "broker/rabbitmq/rabbitmq_broker.hpp"
#include "support/rabbitmq_server.hpp"
#endif
#if SLUICE_WITH_REDIS
#include <unistd.h>

#include <thread>

#include "broker/redis/redis_broker.hpp"
#include "support/redis_server.hpp"
#endif

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

}  // namespace

// Each backend adds its name here and a branch below as it lands.
std::vector<std::string> broker_backend_names() {
  std::vector<std::string> names{"sqlite"};
#if SLUICE_WITH_NATS
  names.push_back("nats");
#endif
#if SLUICE_WITH_RABBITMQ
  names.push_back("rabbitmq");
#endif
#if SLUICE_WITH_REDIS
  names.push_back("redis");
#endif
  return names;
}

std::string broker_url_for_tests(const std::string& name) {
  if (name == "sqlite") return "";
#if SLUICE_WITH_NATS
  if (name == "nats") return nats_server::shared() ? nats_server::shared()->url() : "";
#endif
#if SLUICE_WITH_RABBITMQ
  if (name == "rabbitmq") {
    return rabbitmq_server::shared() ? rabbitmq_server::shared()->url() : "";
  }
#endif
#if SLUICE_WITH_REDIS
  if (name == "redis") return redis_server::shared() ? redis_server::shared()->url() : "";
#endif
  return "";
}

std::unique_ptr<broker_backend> make_broker_backend(const std::string& name,
                                                    const broker_backend_options& options) {
  if (name == "sqlite") {
    auto b = std::make_unique<sqlite_backend>(options);
    if (b->open()) return b;
  }
#if SLUICE_WITH_NATS
  if (name == "nats") {
    broker::nats_broker_options o;
    o.visibility_timeout = options.visibility_timeout;
    o.reconnect_max = std::chrono::milliseconds(500);
    return open_backend(nats_server::shared(), o, &broker::make_nats_broker);
  }
#endif
#if SLUICE_WITH_RABBITMQ
  if (name == "rabbitmq") {
    broker::rabbitmq_broker_options o;  // redelivers on consumer loss, not on a timer
    o.retry_max = std::chrono::milliseconds(500);
    return open_backend(rabbitmq_server::shared(), o, &broker::make_rabbitmq_broker);
  }
#endif
#if SLUICE_WITH_REDIS
  if (name == "redis") {
    broker::redis_broker_options o;
    o.visibility_timeout = options.visibility_timeout;
    o.retry_max = std::chrono::milliseconds(500);
    return open_backend(redis_server::shared(), o, &broker::make_redis_broker);
  }
#endif
  return nullptr;
}

}  // namespace sluice::testing
