#pragma once
// Real servers for contract and integration tests (PostgreSQL, NATS, Redis,
// RabbitMQ): started from Debian's packages on 127.0.0.1, on free ports, in
// temp directories, as a non-root user where the server demands it, and
// stopped by PID — never by name. Start-up cost is paid once per test binary:
// each server kind has a shared instance (see shared_*() in the backend files).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "support/sluice_process.hpp"

namespace sluice::testing {

// A free TCP port on 127.0.0.1 (bound then released; the OS rarely reuses it at once).
int free_port();

// True when something accepts TCP connections on 127.0.0.1:port.
bool port_open(int port);

// One server process, owned by PID.
class server_process {
 public:
  struct options {
    std::vector<std::string> argv;             // argv[0] is the executable path
    std::map<std::string, std::string> env;    // added to a minimal environment
    std::filesystem::path log;                 // stdout and stderr
    std::string run_as;                        // user name; empty = as we are
    std::filesystem::path cwd;                 // empty = unchanged
  };
  explicit server_process(options o) : opt_(std::move(o)) {}
  ~server_process() { stop(); }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  // Spawns, then polls `ready` (every 50 ms, up to `limit`); false if it never
  // became ready or exited.
  bool start(const std::function<bool()>& ready,
             std::chrono::milliseconds limit = std::chrono::seconds(60));
  // SIGTERM, wait up to `grace`, then SIGKILL; reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(20));
  void kill9();
  // Sends a signal without waiting (e.g. SIGSTOP/SIGCONT).
  void signal(int sig);
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;

 private:
  options opt_;
  pid_t pid_ = -1;
};

// Gives a non-root `user` ownership of `dir` (recursively) when we are root.
void chown_to(const std::filesystem::path& dir, const std::string& user);

// Runs a command to completion (argv[0] a path); returns its exit status.
int run_command(const std::vector<std::string>& argv, const std::string& run_as = "",
                const std::filesystem::path& log = {});

}  // namespace sluice::testing
