#include "support/stub_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace sluice::testing {
namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    default:
      return "Status";
  }
}

}  // namespace

stub_http_server::stub_http_server(handler h) : handler_(std::move(h)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    std::abort();  // a test machine without loopback sockets cannot run these tests
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

stub_http_server::~stub_http_server() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

std::vector<stub_request> stub_http_server::requests() const {
  const std::lock_guard lock(mutex_);
  return seen_;
}

std::size_t stub_http_server::count() const {
  const std::lock_guard lock(mutex_);
  return seen_.size();
}

void stub_http_server::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;  // wakes every 50 ms to see stop_
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

void stub_http_server::handle(int fd) {
  std::string in;
  char buf[4096];
  std::size_t head_end = std::string::npos;
  std::size_t length = 0;
  // Bounded: 2 s without a byte ends the exchange.
  for (;;) {
    if (head_end == std::string::npos) head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const auto cl = lower(in.substr(0, head_end)).find("content-length:");
      if (cl != std::string::npos) length = std::strtoul(in.c_str() + cl + 15, nullptr, 10);
      if (in.size() >= head_end + 4 + length) break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return;
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    in.append(buf, static_cast<std::size_t>(n));
  }
  stub_request req;
  const std::string head = in.substr(0, head_end);
  std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 + 1);
  req.method = request_line.substr(0, sp1);
  req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  while (line_end != std::string::npos && line_end < head.size()) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    req.headers[lower(line.substr(0, colon))] = value;
  }
  req.body = in.substr(head_end + 4, length);
  {
    const std::lock_guard lock(mutex_);
    seen_.push_back(req);
  }
  const stub_response res = handler_(req);
  const std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + reason(res.status) +
                          "\r\nContent-Type: " + res.content_type +
                          "\r\nContent-Length: " + std::to_string(res.body.size()) +
                          "\r\nConnection: close\r\n\r\n" + res.body;
  std::size_t off = 0;
  while (off < out.size()) {
    const auto n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace sluice::testing
