#include "support/rabbitmq_server.hpp"

#include <signal.h>

#include <fstream>
#include <iostream>
#include <thread>

namespace sluice::testing {
namespace {

constexpr const char* k_user = "rabbitmq";
constexpr const char* k_server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
constexpr const char* k_epmd = "/usr/bin/epmd";

bool wait_closed(int port) {
  for (int i = 0; i < 500 && port_open(port); ++i) {  // ≤ 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !port_open(port);
}

}  // namespace

rabbitmq_server* rabbitmq_server::shared() {
  static std::unique_ptr<rabbitmq_server> server;
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::unique_ptr<rabbitmq_server> s(new rabbitmq_server());
    if (s->prepare() && s->start()) {
      server = std::move(s);
    } else {
      std::cerr << "rabbitmq-server did not start:\n"
                << (s->epmd_ ? s->epmd_->log() : "") << (s->node_ ? s->node_->log() : "") << "\n";
    }
  }
  return server.get();
}

rabbitmq_server::~rabbitmq_server() {
  if (node_) node_->stop();
  if (epmd_) epmd_->stop();
}

bool rabbitmq_server::prepare() {
  port_ = free_port();
  dist_port_ = free_port();
  epmd_port_ = free_port();
  const auto& d = dir_.path();
  for (const char* sub : {"home", "mnesia", "log"}) std::filesystem::create_directories(d / sub);
  std::ofstream(d / "enabled_plugins") << "[].\n";
  std::ofstream(d / "rabbitmq.conf") << "listeners.tcp.1 = 127.0.0.1:" << port_ << "\n"
                                     << "loopback_users.guest = true\n"
                                     << "log.console = true\n"
                                     << "log.file = false\n";
  std::filesystem::permissions(d, std::filesystem::perms::owner_all |
                                      std::filesystem::perms::group_read |
                                      std::filesystem::perms::group_exec |
                                      std::filesystem::perms::others_read |
                                      std::filesystem::perms::others_exec);
  chown_to(d, k_user);

  server_process::options o;
  o.argv = {k_epmd, "-port", std::to_string(epmd_port_), "-address", "127.0.0.1"};
  o.log = d / "epmd.log";
  o.run_as = k_user;
  o.env = {{"HOME", (d / "home").string()}};
  epmd_ = std::make_unique<server_process>(o);
  const int port = epmd_port_;
  return epmd_->start([port] { return port_open(port); }, std::chrono::seconds(10));
}

bool rabbitmq_server::start() {
  const auto& d = dir_.path();
  server_process::options o;
  o.argv = {k_server};
  o.log = d / "rabbitmq.log";
  o.run_as = k_user;
  o.cwd = d;
  o.env = {
      {"HOME", (d / "home").string()},
      {"RABBITMQ_NODENAME", "sluice" + std::to_string(port_) + "@localhost"},
      {"RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_NODE_PORT", std::to_string(port_)},
      {"RABBITMQ_DIST_PORT", std::to_string(dist_port_)},
      {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
      {"ERL_EPMD_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-start_epmd false"},
      {"RABBITMQ_MNESIA_BASE", (d / "mnesia").string()},
      {"RABBITMQ_LOG_BASE", (d / "log").string()},
      {"RABBITMQ_ENABLED_PLUGINS_FILE", (d / "enabled_plugins").string()},
      {"RABBITMQ_CONFIG_FILE", (d / "rabbitmq.conf").string()},
  };
  node_ = std::make_unique<server_process>(o);
  const int port = port_;
  // The AMQP listener opens last in the boot sequence: open port = ready.
  return node_->start([port] { return port_open(port); }, std::chrono::seconds(60));
}

void rabbitmq_server::signal(int sig) {
  if (node_ && node_->pid() > 0) ::kill(-node_->pid(), sig);
}

bool rabbitmq_server::restart(bool hard) {
  if (!node_) return false;
  if (hard) {
    // The shell's process group holds beam.smp and its helpers: kill them all.
    if (node_->pid() > 0) ::kill(-node_->pid(), SIGKILL);
    node_->kill9();
  } else {
    node_->stop(std::chrono::seconds(30));
  }
  if (!wait_closed(port_)) return false;
  return start();
}

}  // namespace sluice::testing
