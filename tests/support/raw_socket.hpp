#pragma once
// A raw TCP connection for HTTP framing tests: send bytes as they are, read
// whatever comes back until the server closes (bounded by a receive timeout,
// so a server that never answers fails the test instead of hanging it).
// The responses it reads are recorded for the OpenAPI check
// (support/openapi_record), paired in order with the requests sent.

#include <cstddef>
#include <string>

namespace sluice::testing {

class raw_socket {
 public:
  explicit raw_socket(int port);  // connects to 127.0.0.1:port
  ~raw_socket();
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // Reads until the server closes the connection or `limit_ms` passes without
  // a byte; `closed` tells which.
  std::string read_until_close(int limit_ms, bool& closed);
  // Reads until one full response head and its Content-Length body arrived.
  std::string read_response(int limit_ms);
  void close();

 private:
  int fd_ = -1;
  int port_;
  std::string pending_;
  // For the OpenAPI check (support/openapi_record): what was sent, and how
  // many of its requests the responses read so far answered.
  std::string sent_;
  std::size_t answered_ = 0;
};

// The status codes of the responses in `bytes`, in order ("HTTP/1.1 400 …").
std::string statuses(const std::string& bytes);

}  // namespace sluice::testing
