#pragma once
// A loopback HTTP sink for drill 8's control run (faults/slow_clients_test):
// it accepts every connection and holds it, reading and discarding what
// arrives, and answers (200, then closes) only a request that arrived whole
// — head and Content-Length body — as slowhttptest's probe connection does
// and its slow connections never do. The tool then behaves (and spends CPU)
// as it does against Sluice, which also answers the probe and holds the rest
// until read_timeout, but the server under test does none of the work. One
// epoll thread, like Sluice's io threads; stop() says how much CPU it took.

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace sluice::testing {

class holding_sink {
 public:
  holding_sink();  // listens on 127.0.0.1, a free port, backlog 4096
  ~holding_sink();
  holding_sink(const holding_sink&) = delete;
  holding_sink& operator=(const holding_sink&) = delete;

  int port() const { return port_; }  // 0: could not listen
  // Stops the thread (idempotent); returns the CPU it used while it ran, in
  // cores. The connections are closed by the destructor.
  double stop();

 private:
  void run();

  int listen_ = -1, epoll_ = -1, port_ = 0;
  std::atomic<bool> running_{true};
  std::map<int, std::string> conns_;  // the thread's, until it is joined
  std::chrono::steady_clock::time_point started_;
  double cpu_seconds_ = 0;
  double cores_ = 0;
  std::thread thread_;
};

}  // namespace sluice::testing
