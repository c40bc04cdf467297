#include "support/postgres_server.hpp"

#include <libpq-fe.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <thread>

namespace sluice::testing {
namespace {

const std::string k_bin = "/usr/lib/postgresql/15/bin/";
const std::string k_user = "postgres";  // initdb and postgres refuse to run as root

std::string admin_url(int port, const std::string& db) {
  return "postgresql://sluice@127.0.0.1:" + std::to_string(port) + "/" + db;
}

}  // namespace

postgres_server* postgres_server::shared() {
  static std::unique_ptr<postgres_server> server;
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::unique_ptr<postgres_server> s(new postgres_server());
    if (s->init()) {
      server = std::move(s);
    }
  }
  return server.get();
}

postgres_server::~postgres_server() {
  // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients.
  if (proc_) {
    proc_->signal(SIGINT);
    proc_->stop();
  }
}

bool postgres_server::init() {
  auto data = dir_.path() / "data";
  auto sock = dir_.path() / "sock";
  std::filesystem::create_directories(sock);
  chown_to(dir_.path(), k_user);
  // -N: initdb need not fsync its files (the server itself runs with fsync on).
  int rc = run_command({k_bin + "initdb", "-D", data.string(), "-A", "trust", "-U", "sluice",
                        "-E", "UTF8", "--locale=C.UTF-8", "-N"},
                       k_user, dir_.path() / "initdb.log");
  if (rc != 0) {
    std::cerr << "initdb failed (" << rc << "); see " << (dir_.path() / "initdb.log") << "\n";
    return false;
  }
  port_ = free_port();
  if (!start()) {
    std::cerr << "postgres did not start:\n" << (proc_ ? proc_->log() : "") << "\n";
    return false;
  }
  return true;
}

bool postgres_server::start() {
  auto data = dir_.path() / "data";
  auto sock = dir_.path() / "sock";
  server_process::options o;
  o.argv = {k_bin + "postgres", "-D", data.string(), "-k", sock.string(),
            "-c", "listen_addresses=127.0.0.1", "-p", std::to_string(port_),
            "-c", "fsync=on", "-c", "max_connections=200"};
  o.log = dir_.path() / "postgres.log";
  o.run_as = k_user;
  proc_ = std::make_unique<server_process>(o);
  const std::string port = std::to_string(port_);
  return proc_->start([&] {
    return run_command({k_bin + "pg_isready", "-q", "-h", "127.0.0.1", "-p", port}) == 0;
  });
}

bool postgres_server::stop_immediate() {
  if (!proc_) return false;
  proc_->signal(SIGQUIT);
  for (int i = 0; i < 500; ++i) {  // ≤ 10 s
    if (!proc_->running()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string postgres_server::create_database() {
  std::string name = "t_" + std::to_string(++databases_);
  PGconn* c = PQconnectdb(admin_url(port_, "postgres").c_str());
  bool ok = PQstatus(c) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) std::cerr << "CREATE DATABASE: " << PQerrorMessage(c);
    PQclear(r);
  }
  PQfinish(c);
  return ok ? admin_url(port_, name) : std::string();
}

std::int64_t postgres_server::query_int(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::int64_t v = -1;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
      v = std::stoll(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
  }
  PQfinish(c);
  return v;
}

}  // namespace sluice::testing
