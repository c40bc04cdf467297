#pragma once
// A small blocking HTTP/1.1 client for tests (POSIX sockets, keep-alive,
// Content-Length bodies only — what Sluice sends). One connection per client;
// not thread-safe: give each thread its own.

#include <map>
#include <string>
#include <vector>

namespace sluice::testing {

struct http_result {
  int status = 0;                             // 0 when the connection failed
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class http_client {
 public:
  explicit http_client(int port) : port_(port) {}
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  http_result request(const std::string& method, const std::string& target,
                      const std::string& body = {},
                      const std::vector<std::pair<std::string, std::string>>& headers = {});
  http_result get(const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("GET", target, {}, headers);
  }
  // POST with Content-Type: application/json unless `headers` name another.
  http_result post(const std::string& target, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers = {});
  // Sends bytes as they are and reads one response (for malformed requests).
  // Every response is recorded for the OpenAPI check (support/openapi_record).
  http_result raw(const std::string& bytes);

 private:
  bool connect();
  http_result exchange(const std::string& bytes);  // send, read one response
  // Hands the response to openapi_record (when the port is a sluice server's).
  void record(const std::string& method, const std::string& target, const http_result& r) const;
  void close();
  http_result read_response();

  int port_;
  int fd_ = -1;
  bool head_ = false;  // the pending response answers a HEAD: no body follows
  std::string buffer_;
};

}  // namespace sluice::testing
