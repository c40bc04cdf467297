#pragma once
// A real RabbitMQ 3.10 node for contract and integration tests, on free
// loopback ports with its mnesia dir, logs and HOME (for .erlang.cookie) in a
// temp dir, run as the `rabbitmq` user when we are root. One node per test
// binary (shared()), stopped at exit; tests keep apart by namespace and
// unique names.
//
// Processes, all stopped by PID / process group, never by name:
//  - our own epmd on a free port (the node gets ERL_EPMD_PORT and
//    `-start_epmd false`), so no daemon epmd outlives the tests;
//  - /usr/lib/rabbitmq/bin/rabbitmq-server, a shell that runs beam.smp as its
//    child. SIGTERM to the shell stops the node cleanly; a hard kill sends
//    SIGKILL to the whole process group (the shell, beam and its helpers).
//
// Thread safety: none; tests call it from their main thread.

#include <memory>
#include <string>

#include "support/server_process.hpp"

namespace sluice::testing {

class rabbitmq_server {
 public:
  // The shared node, started on first use (4–13 s); nullptr when it cannot
  // be started here (stderr says why).
  static rabbitmq_server* shared();

  ~rabbitmq_server();

  std::string url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_); }

  // SIGTERM (hard = false) or SIGKILL of the node, then starts it again on
  // the same ports and mnesia dir.
  bool restart(bool hard);
  // For fault tests: sends `sig` (SIGSTOP/SIGCONT) to the node's process
  // group (the shell, beam.smp and its helpers), by PID.
  void signal(int sig);

 private:
  rabbitmq_server() = default;
  bool prepare();
  bool start();

  temp_dir dir_;
  int port_ = 0;
  int dist_port_ = 0;
  int epmd_port_ = 0;
  std::unique_ptr<server_process> epmd_;
  std::unique_ptr<server_process> node_;
};

}  // namespace sluice::testing
