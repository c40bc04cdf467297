#pragma once
// A real nats-server 2.9 with JetStream for contract and integration tests:
// `nats-server -js -a 127.0.0.1 -p PORT -sd DIR` on a free port with its
// store in a temp dir, stopped by PID at exit. One server per test binary
// (shared()); tests keep apart by namespace and unique names.
//
// Thread safety: none; tests call it from their main thread.

#include <filesystem>
#include <memory>
#include <string>

#include "support/server_process.hpp"

namespace sluice::testing {

class nats_server {
 public:
  // The shared server, started on first use; nullptr when it cannot be
  // started here (stderr says why).
  static nats_server* shared();
  // A server of its own whose JetStream store is `store_dir` (e.g. on a small
  // tmpfs; its log stays in a temp dir); nullptr when it cannot be started
  // (stderr says why). Stopped on destruction.
  static std::unique_ptr<nats_server> start_in(const std::filesystem::path& store_dir);

  ~nats_server();

  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

  // SIGTERM (hard = false: nats-server shuts down cleanly) or SIGKILL, then
  // starts again on the same port and store directory.
  bool restart(bool hard);
  // For fault tests: SIGKILL without restarting, SIGSTOP/SIGCONT, start again.
  void kill9();
  void signal(int sig);
  bool start();

 private:
  nats_server() = default;

  temp_dir dir_;
  std::filesystem::path store_dir_;  // empty: dir_/jetstream
  int port_ = 0;
  std::unique_ptr<server_process> proc_;
};

}  // namespace sluice::testing
