#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for client tests (the AWS credentials
// endpoints): binds an ephemeral port itself (no race for a free port), serves
// one request per connection (Connection: close) from a handler on its own
// thread, and records every request it saw. Stopped by its destructor.

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testing {

struct stub_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct stub_response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class stub_http_server {
 public:
  using handler = std::function<stub_response(const stub_request&)>;
  explicit stub_http_server(handler h);
  ~stub_http_server();
  stub_http_server(const stub_http_server&) = delete;
  stub_http_server& operator=(const stub_http_server&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<stub_request> requests() const;
  std::size_t count() const;

 private:
  void serve();
  void handle(int fd);

  handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<stub_request> seen_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace sluice::testing
