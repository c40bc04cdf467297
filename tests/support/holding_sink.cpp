#include "support/holding_sink.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace sluice::testing {
namespace {

// Kept per connection at most (slow connections send a few bytes a second).
constexpr std::size_t k_keep = 256 * 1024;

// A whole request: the head and as many body bytes as Content-Length says.
bool whole(const std::string& b) {
  const auto head = b.find("\r\n\r\n");
  if (head == std::string::npos) return false;
  std::string lower = b.substr(0, head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::string_view k_length = "\r\ncontent-length:";
  const auto cl = lower.find(k_length);
  const std::size_t length =
      cl == std::string::npos ? 0 : std::strtoul(lower.c_str() + cl + k_length.size(), nullptr, 10);
  return b.size() - head - 4 >= length;
}

}  // namespace

holding_sink::holding_sink() {
  listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  auto* sa = reinterpret_cast<sockaddr*>(&a);
  if (listen_ < 0 || epoll_ < 0 || ::bind(listen_, sa, sizeof a) != 0 ||
      ::listen(listen_, 4096) != 0 || ::getsockname(listen_, sa, &n) != 0) {
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, listen_, &ev) != 0) return;
  port_ = ntohs(a.sin_port);
  started_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { run(); });
}

holding_sink::~holding_sink() {
  stop();
  for (const auto& [fd, in] : conns_) ::close(fd);
  if (listen_ >= 0) ::close(listen_);
  if (epoll_ >= 0) ::close(epoll_);
}

double holding_sink::stop() {
  running_ = false;
  if (thread_.joinable()) {
    thread_.join();
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started_;
    cores_ = wall.count() > 0 ? cpu_seconds_ / wall.count() : 0;
  }
  return cores_;
}

void holding_sink::run() {
  std::array<epoll_event, 256> events{};
  std::array<char, 16384> buf{};
  while (running_) {
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == listen_) {
        for (int c; (c = ::accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = c;
          ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c, &ev);
          conns_[c];
        }
        continue;
      }
      auto& in = conns_[fd];
      bool done = false;
      for (;;) {
        const auto got = ::read(fd, buf.data(), buf.size());
        if (got > 0) {
          if (in.size() < k_keep) in.append(buf.data(), static_cast<std::size_t>(got));
          continue;
        }
        done = got == 0 || errno != EAGAIN;  // closed by the peer, or broken
        break;
      }
      if (!done && whole(in)) {
        static constexpr std::string_view k_ok =
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)::write(fd, k_ok.data(), k_ok.size());
        done = true;
      }
      if (done) {
        ::close(fd);  // also leaves the epoll set
        conns_.erase(fd);
      }
    }
  }
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  cpu_seconds_ = static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace sluice::testing
