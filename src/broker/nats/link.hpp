#pragma once
// One NATS connection and its JetStream context, with the connection state
// kept where callers can read it without touching libnats' locks (the
// connection mutex can be held across a socket write). Private to
// src/broker/nats/.
//
// libnats reconnects by itself, forever, with capped exponential backoff and
// jitter (reconnect_min doubled per attempt up to reconnect_max, + ≤25 %).
// Nothing is buffered while disconnected: publishes fail at once.
//
// Thread safety: all methods may be called from any thread. The listener set
// with on_disconnect() runs on libnats' callback thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.hpp"
#include "broker/nats/handles.hpp"

namespace sluice::broker::nats {

struct link_options {
  // One server URL or a comma-separated list of them (a cluster's seeds);
  // libnats tries them in random order and learns the rest of the cluster
  // from whichever answers.
  std::string url;
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{2000};
};

// The server URLs of a broker.url: split on commas, blanks around each
// trimmed, empty entries dropped ("nats://a:1, nats://b:2" → two).
std::vector<std::string> server_urls(std::string_view url_list);

class link {
 public:
  // Starts connecting; a server that is down is retried in the background.
  // Fails only when the options are unusable.
  static result<std::unique_ptr<link>> open(const link_options& options);
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  natsConnection* connection() const { return conn_.get(); }
  jsCtx* jetstream() const { return js_.get(); }
  std::chrono::milliseconds request_timeout() const { return options_.request_timeout; }

  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // Waits up to `limit` for the connection; true when connected.
  bool wait_connected(std::chrono::milliseconds limit);
  // Called (on libnats' thread) each time the connection is lost.
  void on_disconnect(std::function<void()> listener);

  // Closes the connection and waits for libnats' last callback. Idempotent.
  void close();

 private:
  explicit link(const link_options& options) : options_(options) {}
  static void on_connected(natsConnection*, void* closure);
  static void on_disconnected(natsConnection*, void* closure);
  static void on_closed(natsConnection*, void* closure);
  static int64_t reconnect_delay(natsConnection*, int attempts, void* closure);
  void set_connected(bool up);

  link_options options_;
  handle<natsOptions> opts_;
  handle<natsConnection> conn_;
  handle<jsCtx> js_;
  std::atomic<bool> connected_{false};

  std::mutex mu_;  // guards listener_, closed_, close_started_
  std::condition_variable cv_;
  std::function<void()> listener_;
  bool closed_ = false;
  bool close_started_ = false;
};

}  // namespace sluice::broker::nats
