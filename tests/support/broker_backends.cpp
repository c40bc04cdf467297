#include "support/broker_backends.hpp"

#include "broker/sqlite/sqlite_broker.hpp"
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

}  // namespace

// Each backend adds its name here and a branch below as it lands.
std::vector<std::string> broker_backend_names() { return {"sqlite"}; }

std::string broker_url_for_tests(const std::string& name) {
  if (name == "sqlite") return "";
  return "";
}

std::unique_ptr<broker_backend> make_broker_backend(const std::string& name,
                                                    const broker_backend_options& options) {
  if (name == "sqlite") {
    auto b = std::make_unique<sqlite_backend>(options);
    if (b->open()) return b;
  }
  return nullptr;
}

}  // namespace sluice::testing
