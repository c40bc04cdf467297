#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>

namespace sluice::testing {
namespace {

// True when the server answers PING with +PONG (or, when it requires a
// password, -NOAUTH: it is up): not while it is still loading its AOF (it
// answers -LOADING then).
bool answers_ping(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char ping[] = "PING\r\n";
    char buf[16] = {};
    if (write(fd, ping, sizeof ping - 1) == static_cast<ssize_t>(sizeof ping - 1)) {
      const auto n = read(fd, buf, sizeof buf - 1);
      ok = n >= 5 && (std::string(buf, 5) == "+PONG" || std::string(buf, 5) == "-NOAU");
    }
  }
  close(fd);
  return ok;
}

}  // namespace

redis_server* redis_server::shared() {
  static std::unique_ptr<redis_server> server;
  static bool tried = false;
  if (!tried) {
    tried = true;
    std::unique_ptr<redis_server> s(new redis_server());
    s->port_ = free_port();
    if (s->start()) {
      server = std::move(s);
    } else {
      std::cerr << "redis-server did not start:\n" << (s->proc_ ? s->proc_->log() : "") << "\n";
    }
  }
  return server.get();
}

std::unique_ptr<redis_server> redis_server::start_with_password(const std::string& password) {
  std::unique_ptr<redis_server> s(new redis_server());
  s->port_ = free_port();
  s->password_ = password;
  if (s->start()) return s;
  std::cerr << "redis-server did not start:\n" << (s->proc_ ? s->proc_->log() : "") << "\n";
  return nullptr;
}

std::unique_ptr<redis_server> redis_server::start_in(const std::filesystem::path& data_dir,
                                                    const std::string& appendfsync) {
  std::unique_ptr<redis_server> s(new redis_server());
  s->port_ = free_port();
  s->data_dir_ = data_dir;
  s->appendfsync_ = appendfsync;
  if (s->start()) return s;
  std::cerr << "redis-server did not start:\n" << (s->proc_ ? s->proc_->log() : "") << "\n";
  return nullptr;
}

redis_server::~redis_server() {
  if (proc_) proc_->stop();
}

bool redis_server::start() {
  server_process::options o;
  o.argv = {"/usr/bin/redis-server", "--bind",        "127.0.0.1",
            "--port",                std::to_string(port_),
            "--dir",                 (data_dir_.empty() ? dir_.path() : data_dir_).string(),
            "--appendonly",          "yes",
            "--appendfsync",         appendfsync_,
            "--save",                "",
            "--daemonize",           "no",
            "--logfile",             ""};
  if (!password_.empty()) {
    o.argv.push_back("--requirepass");
    o.argv.push_back(password_);
  }
  o.log = dir_.path() / "redis.log";
  proc_ = std::make_unique<server_process>(o);
  const int port = port_;
  return proc_->start([port] { return answers_ping(port); }, std::chrono::seconds(30));
}

void redis_server::signal(int sig) {
  if (proc_) proc_->signal(sig);
}

void redis_server::kill9() {
  if (proc_) proc_->kill9();
}

bool redis_server::restart(bool hard) {
  if (proc_) {
    if (hard) {
      proc_->kill9();
    } else {
      proc_->stop();
    }
  }
  return start();
}

}  // namespace sluice::testing
