#include "support/fauxqs_server.hpp"

#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "support/http_client.hpp"

namespace sluice::testing {
namespace {

std::string cli_path() {
  return std::string(SLUICE_NPM_DIR) + "/node_modules/fauxqs/dist/cli.js";
}

std::string node_path() {
  for (const char* p : {"/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "/usr/bin/node";
}

}  // namespace

void fauxqs_server::use_test_credentials() {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDSLUICETEST", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "sluice-test-secret", 1);
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

fauxqs_server* fauxqs_server::shared() {
  static std::unique_ptr<fauxqs_server> server;
  static bool tried = false;
  if (!tried) {
    tried = true;
    use_test_credentials();
    std::unique_ptr<fauxqs_server> s(new fauxqs_server());
    s->port_ = free_port();
    if (!std::filesystem::exists(cli_path())) {
      std::cerr << "fauxqs is not installed at " << cli_path() << " (run `make test-deps`)\n";
    } else if (s->start()) {
      server = std::move(s);
    } else {
      std::cerr << "fauxqs did not start:\n" << (s->proc_ ? s->proc_->log() : "") << "\n";
    }
  }
  return server.get();
}

std::unique_ptr<fauxqs_server> fauxqs_server::start_own() {
  use_test_credentials();
  std::unique_ptr<fauxqs_server> s(new fauxqs_server());
  s->port_ = free_port();
  if (!std::filesystem::exists(cli_path()) || !s->start()) {
    std::cerr << "fauxqs did not start:\n" << (s->proc_ ? s->proc_->log() : cli_path()) << "\n";
    return nullptr;
  }
  return s;
}

fauxqs_server::~fauxqs_server() {
  stop();
}

std::map<std::string, std::string> fauxqs_server::sluice_env(bool fifo) const {
  return {{"SLUICE_BROKER_URL", url()},
          {"SLUICE_BROKER_AWS_ENDPOINT", endpoint()},
          {"SLUICE_BROKER_FIFO", fifo ? "true" : "false"},
          {"AWS_ACCESS_KEY_ID", "AKIDSLUICETEST"},
          {"AWS_SECRET_ACCESS_KEY", "sluice-test-secret"},
          {"AWS_EC2_METADATA_DISABLED", "true"}};
}

bool fauxqs_server::start() {
  server_process::options o;
  o.argv = {node_path(), cli_path()};
  o.env = {{"FAUXQS_PORT", std::to_string(port_)},
           {"FAUXQS_HOST", "127.0.0.1"},
           {"FAUXQS_LOGGER", "false"}};
  o.log = dir_.path() / "fauxqs.log";
  proc_ = std::make_unique<server_process>(o);
  const int port = port_;
  return proc_->start(
      [port] {
        if (!port_open(port)) return false;
        http_client c(port);
        return c.get("/health").status == 200;
      },
      std::chrono::seconds(30));
}

void fauxqs_server::stop() {
  if (proc_) proc_->stop(std::chrono::seconds(5));
}

void fauxqs_server::kill9() {
  if (proc_) proc_->kill9();
}

void fauxqs_server::signal(int sig) {
  if (proc_) proc_->signal(sig);
}

bool fauxqs_server::restart(bool hard) {
  if (!proc_) return false;
  if (hard) {
    proc_->kill9();
  } else {
    proc_->stop(std::chrono::seconds(5));
  }
  for (int i = 0; i < 250 && port_open(port_); ++i) {  // ≤ 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return start();
}

}  // namespace sluice::testing
