#pragma once
// A real redis-server (Debian's 7.0) for contract and integration tests: a
// free port on 127.0.0.1, a temp data dir, `--appendonly yes --appendfsync
// always` (every acknowledged write is fsynced before Redis replies: what the
// broker's "202 means durable" needs, and what makes a SIGKILL or power loss
// lose nothing acked), no RDB snapshots. One server per test binary
// (shared()), stopped by PID at exit; tests keep apart by key namespace.
//
// Thread safety: none; tests call it from their main thread.

#include <filesystem>
#include <memory>
#include <string>

#include "support/server_process.hpp"

namespace sluice::testing {

class redis_server {
 public:
  // The shared server, started on first use; nullptr when it cannot be
  // started here (the log goes to stderr).
  static redis_server* shared();

  // A server of its own that requires `password` (requirepass: AUTH for the
  // default user); nullptr when it cannot be started. Stopped on destruction.
  static std::unique_ptr<redis_server> start_with_password(const std::string& password);

  // A server of its own with its data dir (the AOF directory) at `data_dir`
  // (e.g. on a small tmpfs; the log stays in a temp dir) and the given
  // appendfsync policy; nullptr when it cannot be started. Stopped on destruction.
  static std::unique_ptr<redis_server> start_in(const std::filesystem::path& data_dir,
                                                const std::string& appendfsync);

  ~redis_server();

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // SIGTERM (Redis flushes the AOF and exits) or SIGKILL, then starts again
  // on the same port and data dir; true once it answers PING.
  bool restart(bool hard);
  // For fault tests: sends `sig` (SIGSTOP/SIGCONT) to the server by PID;
  // SIGKILLs and reaps it without starting it again (restart() does).
  void signal(int sig);
  void kill9();

 private:
  redis_server() = default;
  bool start();

  temp_dir dir_;  // first: outlives the process
  std::filesystem::path data_dir_;  // empty: dir_
  std::string appendfsync_ = "always";
  int port_ = 0;
  std::string password_;  // requirepass, when not empty
  std::unique_ptr<server_process> proc_;
};

}  // namespace sluice::testing
