#pragma once
// A real PostgreSQL 15 for contract and integration tests: initdb into a temp
// dir (as the `postgres` user when we are root), a free port on 127.0.0.1, a
// Unix socket in the temp dir, fsync on; stopped by PID at exit. One server
// per test binary (shared()); each test takes a fresh database from it so
// tests never share tables.
//
// Thread safety: none; tests call it from their main thread.

#include <cstdint>
#include <memory>
#include <string>

#include "support/server_process.hpp"

namespace sluice::testing {

class postgres_server {
 public:
  // The shared server, started on first use; nullptr when it cannot be
  // started here (the log says why on stderr).
  static postgres_server* shared();

  ~postgres_server();

  // CREATE DATABASE t_<n>; its URL (postgresql://sluice@127.0.0.1:PORT/t_<n>),
  // or "" on failure.
  std::string create_database();
  int port() const { return port_; }

  // Crash stop (SIGQUIT to the postmaster: what `pg_ctl stop -m immediate`
  // sends), waiting until it has exited. Then start() brings it back on the
  // same port and data directory.
  bool stop_immediate();
  bool start();
  bool running() { return proc_ && proc_->running(); }

  // One integer from a query on `url` (-1 on any failure).
  static std::int64_t query_int(const std::string& url, const std::string& sql);

 private:
  postgres_server() = default;
  bool init();

  temp_dir dir_;
  int port_ = 0;
  int databases_ = 0;
  std::unique_ptr<server_process> proc_;
};

}  // namespace sluice::testing
