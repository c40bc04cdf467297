#pragma once
// A small deterministic TCP fault proxy for the network drills (issue 15,
// drill 4): listens on a free loopback port and forwards every connection to
// 127.0.0.1:upstream, with a fault chosen at run time:
//   pass       forward as is
//   latency    every chunk held `latency` before it is forwarded (both ways)
//   stall      nothing forwarded (the bytes wait in the proxy) until the mode changes
//   blackhole  new connections are accepted and never answered (half-open);
//              open ones stall
// and reset_all(): every open connection closed with an RST on both sides
// (a reply cut in the middle).
//
// Thread safety: set_mode()/reset_all() from any thread; one thread per
// connection plus the acceptor, all joined on destruction.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice::testing {

class fault_proxy {
 public:
  enum class mode { pass, latency, stall, blackhole };

  explicit fault_proxy(int upstream_port,
                       std::chrono::milliseconds latency = std::chrono::milliseconds(200));
  ~fault_proxy();
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;

  int port() const { return port_; }
  void set_mode(mode m) { mode_ = m; }
  mode current() const { return mode_; }
  void reset_all();

 private:
  struct link {
    int client = -1, server = -1;
    std::atomic<bool> reset{false};
  };
  void accept_loop();
  void pump(const std::shared_ptr<link>& l);

  int upstream_;
  std::chrono::milliseconds latency_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<mode> mode_{mode::pass};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;  // guards links_ and threads_
  std::vector<std::shared_ptr<link>> links_;
  std::vector<std::thread> threads_;
};

}  // namespace sluice::testing
