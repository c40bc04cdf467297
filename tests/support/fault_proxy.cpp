#include "support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace sluice::testing {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Closes with an RST instead of a FIN.
void close_hard(int fd) {
  if (fd < 0) return;
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    auto w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

fault_proxy::fault_proxy(int upstream_port, std::chrono::milliseconds latency)
    : upstream_(upstream_port), latency_(latency) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto a = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 512) != 0) {
    throw std::runtime_error("fault_proxy: cannot listen");
  }
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

fault_proxy::~fault_proxy() {
  stopping_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void fault_proxy::reset_all() {
  std::lock_guard lock(mu_);
  for (auto& l : links_) l->reset = true;
  links_.clear();
}

void fault_proxy::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int c = ::accept(listen_fd_, nullptr, nullptr);
    if (c < 0) continue;
    auto l = std::make_shared<link>();
    l->client = c;
    std::lock_guard lock(mu_);
    links_.push_back(l);
    threads_.emplace_back([this, l] { pump(l); });
  }
}

void fault_proxy::pump(const std::shared_ptr<link>& l) {
  // Half-open: accepted, never connected upstream, never answered.
  while (mode_ == mode::blackhole && !stopping_ && !l->reset) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!stopping_ && !l->reset) {
    l->server = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l->server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(l->client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto a = loopback(upstream_);
    if (::connect(l->server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) l->reset = true;
  }
  char buf[65536];
  bool open = true;
  while (open && !stopping_ && !l->reset) {
    const mode m = mode_;
    if (m == mode::stall || m == mode::blackhole) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    pollfd p[2] = {{l->client, POLLIN, 0}, {l->server, POLLIN, 0}};
    if (::poll(p, 2, 50) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int from = i == 0 ? l->client : l->server;
      const int to = i == 0 ? l->server : l->client;
      const auto n = ::recv(from, buf, sizeof buf, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      if (m == mode::latency) std::this_thread::sleep_for(latency_);
      if (!write_all(to, buf, static_cast<std::size_t>(n))) open = false;
    }
  }
  if (l->reset) {
    close_hard(l->client);
    close_hard(l->server);
  } else {
    ::close(l->client);
    if (l->server >= 0) ::close(l->server);
  }
  std::lock_guard lock(mu_);
  std::erase(links_, l);
}

}  // namespace sluice::testing
