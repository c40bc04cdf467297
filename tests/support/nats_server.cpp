#include "support/nats_server.hpp"

#include <iostream>
#include <thread>

namespace sluice::testing {

nats_server* nats_server::shared() {
  static std::unique_ptr<nats_server> server;
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::unique_ptr<nats_server> s(new nats_server());
    s->port_ = free_port();
    if (s->start()) {
      server = std::move(s);
    } else {
      std::cerr << "nats-server did not start:\n" << (s->proc_ ? s->proc_->log() : "") << "\n";
    }
  }
  return server.get();
}

std::unique_ptr<nats_server> nats_server::start_in(const std::filesystem::path& store_dir) {
  std::unique_ptr<nats_server> s(new nats_server());
  s->port_ = free_port();
  s->store_dir_ = store_dir;
  if (s->start()) return s;
  std::cerr << "nats-server did not start:\n" << (s->proc_ ? s->proc_->log() : "") << "\n";
  return nullptr;
}

nats_server::~nats_server() {
  if (proc_) proc_->stop();
}

bool nats_server::start() {
  server_process::options o;
  o.argv = {"/usr/sbin/nats-server",
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            std::to_string(port_),
            "-sd",
            (store_dir_.empty() ? dir_.path() / "jetstream" : store_dir_).string()};
  o.log = dir_.path() / "nats-server.log";
  proc_ = std::make_unique<server_process>(o);
  const int port = port_;
  return proc_->start([port] { return port_open(port); }, std::chrono::seconds(20));
}

void nats_server::kill9() {
  if (proc_) proc_->kill9();
}

void nats_server::signal(int sig) {
  if (proc_) proc_->signal(sig);
}

bool nats_server::restart(bool hard) {
  if (!proc_) return false;
  if (hard) {
    proc_->kill9();
  } else {
    proc_->stop();
  }
  // The port is ours again once the old process is gone.
  for (int i = 0; i < 250 && port_open(port_); ++i) {  // ≤ 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return start();
}

}  // namespace sluice::testing
