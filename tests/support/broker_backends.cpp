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

#if SLUICE_WITH_NATS
// The shared nats-server; each backend (test) gets its own namespace.
class nats_backend final : public broker_backend {
 public:
  nats_backend(nats_server& server, const broker_backend_options& o) : server_(server) {
    static int n = 0;
    options_.url = server.url();
    options_.name_space = "c" + std::to_string(getpid()) + "_" + std::to_string(++n);
    options_.visibility_timeout = o.visibility_timeout;
    options_.reconnect_max = std::chrono::milliseconds(500);
  }
  bool open() {
    client_ = open_client();
    return client_ && reachable();
  }
  broker::broker& get() override { return *client_; }
  std::unique_ptr<broker::broker> open_client() override {
    auto b = broker::make_nats_broker(options_);
    return b ? std::move(*b) : nullptr;
  }
  // The client reconnects by itself: wait until it has.
  bool restart(bool hard) override { return server_.restart(hard) && reachable(); }

 private:
  bool reachable() {
    for (int i = 0; i < 300; ++i) {  // ≤ 30 s
      if (!client_->ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  nats_server& server_;
  broker::nats_broker_options options_;
  std::unique_ptr<broker::broker> client_;
};
#endif

#if SLUICE_WITH_REDIS
// The shared redis-server; each backend (test) gets its own key namespace.
class redis_backend final : public broker_backend {
 public:
  redis_backend(redis_server& server, const broker_backend_options& o) : server_(server) {
    static int n = 0;
    options_.url = server.url();
    options_.name_space = "c" + std::to_string(getpid()) + "_" + std::to_string(++n);
    options_.visibility_timeout = o.visibility_timeout;
    options_.retry_max = std::chrono::milliseconds(500);
  }
  bool open() {
    client_ = open_client();
    return client_ && reachable();
  }
  broker::broker& get() override { return *client_; }
  std::unique_ptr<broker::broker> open_client() override {
    auto b = broker::make_redis_broker(options_);
    return b ? std::move(*b) : nullptr;
  }
  // The same client reconnects by itself: wait until it has.
  bool restart(bool hard) override { return server_.restart(hard) && reachable(); }

 private:
  bool reachable() {
    for (int i = 0; i < 300; ++i) {  // ≤ 30 s
      if (!client_->ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  redis_server& server_;
  broker::redis_broker_options options_;
  std::unique_ptr<broker::broker> client_;
};
#endif

#if SLUICE_WITH_RABBITMQ
// The shared RabbitMQ node; each backend (test) gets its own namespace. The
// same client lives across restarts: it must reconnect by itself.
class rabbitmq_backend final : public broker_backend {
 public:
  explicit rabbitmq_backend(rabbitmq_server& server) : server_(server) {
    static int n = 0;
    options_.url = server.url();
    options_.name_space = "c" + std::to_string(getpid()) + "_" + std::to_string(++n);
    options_.retry_max = std::chrono::milliseconds(500);
  }
  bool open() {
    client_ = open_client();
    return client_ && reachable();
  }
  broker::broker& get() override { return *client_; }
  std::unique_ptr<broker::broker> open_client() override {
    auto b = broker::make_rabbitmq_broker(options_);
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

  rabbitmq_server& server_;
  broker::rabbitmq_broker_options options_;
  std::unique_ptr<broker::broker> client_;
};
#endif

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
  if (name == "nats" && nats_server::shared()) {
    auto b = std::make_unique<nats_backend>(*nats_server::shared(), options);
    if (b->open()) return b;
  }
#endif
#if SLUICE_WITH_RABBITMQ
  if (name == "rabbitmq" && rabbitmq_server::shared()) {
    auto b = std::make_unique<rabbitmq_backend>(*rabbitmq_server::shared());
    if (b->open()) return b;
  }
#endif
#if SLUICE_WITH_REDIS
  if (name == "redis" && redis_server::shared()) {
    auto b = std::make_unique<redis_backend>(*redis_server::shared(), options);
    if (b->open()) return b;
  }
#endif
  return nullptr;
}

}  // namespace sluice::testing
