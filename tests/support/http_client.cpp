#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "support/openapi_record.hpp"

namespace sluice::testing {

http_client::~http_client() { close(); }

void http_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

bool http_client::connect() {
  if (fd_ >= 0) return true;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{30, 0};  // a bound on every read: tests never hang
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    return false;
  }
  return true;
}

http_result http_client::raw(const std::string& bytes) {
  auto r = exchange(bytes);
  auto [method, target] = openapi_record::request_line_of(bytes);
  record(method, target, r);
  return r;
}

void http_client::record(const std::string& method, const std::string& target,
                         const http_result& r) const {
  openapi_record::response(port_, {"http_client", method, target, r.status, &r.headers, r.body});
}

http_result http_client::exchange(const std::string& bytes) {
  if (!connect()) return {};
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading it all
    sent += static_cast<std::size_t>(n);
  }
  return read_response();
}

http_result http_client::request(const std::string& method, const std::string& target,
                                 const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  head_ = method == "HEAD";
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = fd_ >= 0;
    auto r = exchange(req);
    if (r.status != 0 || !reused) {
      record(method, target, r);
      return r;
    }
    close();  // the server closed an idle keep-alive connection: retry once on a new one
  }
  return {};
}

http_result http_client::post(const std::string& target, const std::string& body,
                              std::vector<std::pair<std::string, std::string>> headers) {
  bool has_type = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
    std::string k = h.first;
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return k == "content-type";
  });
  if (!has_type) headers.emplace_back("Content-Type", "application/json");
  return request("POST", target, body, headers);
}

http_result http_client::read_response() {
  http_result r;
  auto fill = [&]() {
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      close();
      return {};
    }
  }
  std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  auto line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) {
    close();
    return {};
  }
  r.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string k = line.substr(0, colon);
      for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      r.headers[k] = v;
    }
    pos = next + 2;
  }
  std::size_t length = r.headers.count("content-length") && !head_
                           ? std::stoul(r.headers["content-length"])
                           : 0;
  head_ = false;
  while (buffer_.size() < length) {
    if (!fill()) break;
  }
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, std::min(length, buffer_.size()));
  if (r.header("connection") == "close") close();
  return r;
}

}  // namespace sluice::testing
