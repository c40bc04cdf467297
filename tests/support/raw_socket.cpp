#include "support/raw_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "support/openapi_record.hpp"

namespace sluice::testing {

raw_socket::raw_socket(int port) : port_(port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
}

raw_socket::~raw_socket() { close(); }

void raw_socket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool raw_socket::send(const std::string& bytes) {
  if (openapi_record::registered(port_)) sent_ += bytes;
  std::size_t off = 0;
  while (fd_ >= 0 && off < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return fd_ >= 0;
}

std::string raw_socket::read_until_close(int limit_ms, bool& closed) {
  closed = false;
  std::string out = std::move(pending_);
  pending_.clear();
  char buf[4096];
  while (fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, limit_ms) <= 0) break;  // nothing more within the limit
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {  // FIN, or a reset: closed either way
      closed = true;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  openapi_record::raw(port_, sent_, out, answered_);
  return out;
}

std::string raw_socket::read_response(int limit_ms) {
  std::string out = std::move(pending_);
  pending_.clear();
  char buf[4096];
  for (;;) {
    auto head_end = out.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::size_t length = 0;
      auto cl = out.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end) length = std::strtoul(out.c_str() + cl + 16, nullptr, 10);
      if (out.size() >= head_end + 4 + length) {
        pending_ = out.substr(head_end + 4 + length);
        out.resize(head_end + 4 + length);
        break;
      }
    }
    pollfd p{fd_, POLLIN, 0};
    if (fd_ < 0 || ::poll(&p, 1, limit_ms) <= 0) break;
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  openapi_record::raw(port_, sent_, out, answered_);
  return out;
}

std::string statuses(const std::string& bytes) {
  std::string out;
  for (auto pos = bytes.find("HTTP/1."); pos != std::string::npos; pos = bytes.find("HTTP/1.", pos + 1)) {
    if (pos + 12 > bytes.size()) break;
    auto code = bytes.substr(pos + 9, 3);
    bool digits = code.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || bytes[pos + 8] != ' ') continue;  // "HTTP/1.1 request" in a body
    if (!out.empty()) out += ' ';
    out += code;
  }
  return out;
}

}  // namespace sluice::testing
