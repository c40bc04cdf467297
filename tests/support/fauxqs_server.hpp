#pragma once
// The SNS/SQS emulator fauxqs 1.9.2 (npm, installed by `make test-deps` under
// SLUICE_NPM_DIR) for contract and integration tests:
// `FAUXQS_PORT=PORT FAUXQS_HOST=127.0.0.1 FAUXQS_LOGGER=false node …/fauxqs/dist/cli.js`
// on a free port, ready when GET /health answers, stopped by PID at exit.
// One emulator per test binary (shared()); tests keep apart by namespace.
// It listens on every address: tests send only to 127.0.0.1. It keeps its
// state in memory: a restart loses every topic, queue and message
// (in_memory), so durability across a broker crash is not tested on it.
//
// Thread safety: none; tests call it from their main thread.

#include <map>
#include <memory>
#include <string>

#include "support/server_process.hpp"

namespace sluice::testing {

class fauxqs_server {
 public:
  static constexpr bool in_memory = true;

  // The shared emulator, started on first use; nullptr when it cannot be
  // started here (stderr says why).
  static fauxqs_server* shared();
  // An emulator of the caller's own (for tests that stop it); nullptr when
  // it cannot be started.
  static std::unique_ptr<fauxqs_server> start_own();

  ~fauxqs_server();

  // broker.url (the region is what the emulator reports in its ARNs).
  std::string url() const { return "sns+sqs://us-east-1"; }
  // broker.aws_endpoint.
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // The environment `sluice` needs to use it (URL, endpoint, test credentials),
  // FIFO or standard.
  std::map<std::string, std::string> sluice_env(bool fifo) const;

  bool restart(bool hard);
  void kill9();
  void signal(int sig);
  bool start();
  void stop();

  // Sets test credentials in this process's environment (the AWS chain's
  // first link), so that no other link (metadata endpoints) is tried.
  static void use_test_credentials();

 private:
  fauxqs_server() = default;

  temp_dir dir_;
  int port_ = 0;
  std::unique_ptr<server_process> proc_;
};

}  // namespace sluice::testing
