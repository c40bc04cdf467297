#include "bench/load.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

namespace sluice::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t max_samples = 2'000'000;
constexpr auto request_timeout = std::chrono::seconds(30);
constexpr auto freshness_limit = std::chrono::seconds(10);

// What each worker records; merged at the end (no sharing while running).
struct worker_stats {
  std::map<std::string, op_stats> ops;
  std::vector<sample> samples;
  std::uint64_t accepted = 0;
};

struct pending_freshness {
  std::string id;
  clock::time_point accepted_at;
  clock::time_point next_poll;  // polls of one message are ≥ 1 ms apart
};

struct run_state {
  const options& o;
  std::vector<std::string> period;
  std::string run_id;
  clock::time_point start, measure_from, end;
  std::atomic<std::uint64_t> next_ticket{0};
  std::atomic<std::uint64_t> done{0}, failed{0}, accepted{0};
  std::atomic<bool> stop{false};
  std::vector<worker_stats> workers;

  std::mutex fresh_mu;  // guards the members below
  std::deque<pending_freshness> fresh_queue;
  histogram freshness;
  std::uint64_t freshness_timeouts = 0, freshness_polls = 0;

  explicit run_state(const options& opts) : o(opts), period(mix_period(opts.mix)) {}
};

std::string post_body(const run_state& s, std::uint64_t ticket) {
  std::string body = s.o.batch > 1 ? "[" : "";
  for (unsigned i = 0; i < s.o.batch; ++i) {
    if (i > 0) body += ',';
    body += fmt::format(R"({{"name":"Bench User {}","email":"u{}-{}-{}@bench.test"}})", ticket,
                        s.run_id, ticket, i);
  }
  if (s.o.batch > 1) body += ']';
  return body;
}

// The message id of a 202 answer (first "id" member), or "".
std::string first_id(const std::string& body) {
  auto p = body.find("\"id\":\"");
  if (p == std::string::npos) return {};
  p += 6;
  auto e = body.find('"', p);
  return e == std::string::npos ? std::string() : body.substr(p, e - p);
}

class connection {
 public:
  connection(asio::any_io_executor ex, const options& o) : stream_(ex), o_(o) {}

  // Sends one request and reads the answer; status 0 on any transport error
  // (the connection is then re-opened on the next call).
  asio::awaitable<std::pair<unsigned, std::string>> exchange(bhttp::request<bhttp::string_body>& req) {
    if (!open_) {
      tcp::resolver resolver(stream_.get_executor());
      auto [rec, results] = co_await resolver.async_resolve(o_.host, std::to_string(o_.port), use_tuple);
      if (rec) co_return std::pair{0u, std::string()};
      stream_.expires_after(request_timeout);
      auto [cec, ep] = co_await stream_.async_connect(results, use_tuple);
      if (cec) co_return std::pair{0u, std::string()};
      stream_.socket().set_option(tcp::no_delay(true));
      open_ = true;
    }
    stream_.expires_after(request_timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream_, req, use_tuple);
    bhttp::response<bhttp::string_body> res;
    beast::error_code rec;
    if (!wec) std::tie(rec, std::ignore) = co_await bhttp::async_read(stream_, buffer_, res, use_tuple);
    if (wec || rec) {
      beast::error_code ignored;
      stream_.socket().close(ignored);
      buffer_.clear();
      open_ = false;
      co_return std::pair{0u, std::string()};
    }
    if (!res.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().close(ignored);
      open_ = false;
    }
    co_return std::pair{res.result_int(), std::move(res.body())};
  }

 private:
  beast::tcp_stream stream_;
  const options& o_;
  beast::flat_buffer buffer_;
  bool open_ = false;
};

bhttp::request<bhttp::string_body> make_request(const run_state& s, const std::string& op,
                                                 std::uint64_t ticket) {
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.set(bhttp::field::host, s.o.host);
  req.keep_alive(true);
  if (op == "post") {
    req.method(bhttp::verb::post);
    req.target("/v1/" + s.o.resource);
    req.set(bhttp::field::content_type, "application/json");
    if (s.o.idempotency_keys) req.set("Idempotency-Key", fmt::format("bench-{}-{}", s.run_id, ticket));
    req.body() = post_body(s, ticket);
  } else {
    req.method(bhttp::verb::get);
    req.target("/v1/" + s.o.resource + (s.o.get_query.empty() ? "" : "?" + s.o.get_query));
  }
  req.prepare_payload();
  return req;
}

asio::awaitable<void> worker(run_state& s, worker_stats& stats) {
  auto ex = co_await asio::this_coro::executor;
  connection conn(ex, s.o);
  asio::steady_timer timer(ex);
  const bool open_loop = s.o.rate > 0;
  for (;;) {
    if (s.stop.load(std::memory_order_relaxed)) co_return;
    std::uint64_t ticket = s.next_ticket.fetch_add(1, std::memory_order_relaxed);
    if (s.o.requests > 0 && ticket >= s.o.requests) co_return;
    clock::time_point due;
    if (open_loop) {
      due = s.start + std::chrono::duration_cast<clock::duration>(due_offset(s.o.rate, ticket));
      if (s.o.requests == 0 && due >= s.end) co_return;
      if (due > clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(use_tuple);
      }
    } else {
      due = clock::now();
      if (s.o.requests == 0 && due >= s.end) co_return;
    }
    const std::string& op = s.period[ticket % s.period.size()];
    auto req = make_request(s, op, ticket);
    auto [status, body] = co_await conn.exchange(req);
    auto now = clock::now();
    if (status == 0 || status >= 500) s.failed.fetch_add(1, std::memory_order_relaxed);
    s.done.fetch_add(1, std::memory_order_relaxed);
    if (due < s.measure_from) continue;  // warm-up
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - due).count();
    auto& st = stats.ops[op];
    st.latency.record(static_cast<std::uint64_t>(us));
    ++st.statuses[status];
    if (!s.o.plot_file.empty() && stats.samples.size() < max_samples) {
      auto at = std::chrono::duration_cast<std::chrono::milliseconds>(due - s.measure_from).count();
      stats.samples.push_back({static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(us)});
    }
    if (op == "post" && (status == 202 || status == 201)) {
      ++stats.accepted;
      auto n = s.accepted.fetch_add(1, std::memory_order_relaxed) + 1;
      if (s.o.freshness_every > 0 && n % s.o.freshness_every == 0) {
        std::lock_guard lock(s.fresh_mu);
        s.fresh_queue.push_back({first_id(body), now, now});
      }
    }
  }
}

// Follows sampled messages until stored (or given up), polling each in turn.
asio::awaitable<void> freshness_prober(run_state& s) {
  auto ex = co_await asio::this_coro::executor;
  connection conn(ex, s.o);
  asio::steady_timer timer(ex);
  for (;;) {
    std::optional<pending_freshness> next;
    {
      std::lock_guard lock(s.fresh_mu);
      if (!s.fresh_queue.empty()) {
        next = s.fresh_queue.front();
        s.fresh_queue.pop_front();
      }
    }
    if (!next) {
      if (s.stop.load()) co_return;
      timer.expires_after(std::chrono::milliseconds(1));
      co_await timer.async_wait(use_tuple);
      continue;
    }
    if (next->next_poll > clock::now()) {
      timer.expires_at(next->next_poll);
      co_await timer.async_wait(use_tuple);
    }
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/v1/messages/" + next->id, 11};
    req.set(bhttp::field::host, s.o.host);
    req.keep_alive(true);
    auto [status, body] = co_await conn.exchange(req);
    auto now = clock::now();
    std::lock_guard lock(s.fresh_mu);
    ++s.freshness_polls;
    if (status == 200 && body.find("\"stored\"") != std::string::npos) {
      s.freshness.record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - next->accepted_at).count()));
    } else if (now - next->accepted_at > freshness_limit || status == 0 || status == 404) {
      ++s.freshness_timeouts;
    } else {
      next->next_poll = now + std::chrono::milliseconds(1);
      s.fresh_queue.push_back(*next);  // not yet: look again after the others
    }
  }
}

std::string new_run_id() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

}  // namespace

report run(const options& o, const std::function<void(const std::string&)>& progress) {
  run_state s(o);
  s.run_id = new_run_id();
  s.workers.resize(o.connections);
  asio::io_context io(static_cast<int>(o.threads));
  s.start = clock::now();
  s.measure_from = s.start + o.warmup;
  s.end = s.measure_from + o.duration;

  std::atomic<int> running{static_cast<int>(o.connections)};
  for (unsigned i = 0; i < o.connections; ++i) {
    asio::co_spawn(io, worker(s, s.workers[i]), [&](const std::exception_ptr&) { --running; });
  }
  std::atomic<bool> prober_done{o.freshness_every == 0};
  if (o.freshness_every > 0) {
    asio::co_spawn(io, freshness_prober(s), [&](const std::exception_ptr&) { prober_done = true; });
  }
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, o.threads); ++t) threads.emplace_back([&] { io.run(); });

  // The watcher: progress lines, and the end of the measurement.
  auto last = clock::now();
  std::uint64_t last_done = 0;
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = clock::now();
    if (progress && now - last >= std::chrono::seconds(1)) {
      auto d = s.done.load();
      double secs = std::chrono::duration<double>(now - s.start).count();
      progress(fmt::format("[{:5.1f}s] {} requests, {:.0f}/s, {} failed", secs, d,
                           static_cast<double>(d - last_done) /
                               std::chrono::duration<double>(now - last).count(),
                           s.failed.load()));
      last = now;
      last_done = d;
    }
  }
  auto finished = clock::now();
  // Let the prober finish the samples already queued (bounded by freshness_limit).
  {
    auto deadline = clock::now() + freshness_limit + std::chrono::seconds(1);
    for (;;) {
      {
        std::lock_guard lock(s.fresh_mu);
        if (s.fresh_queue.empty() || clock::now() > deadline) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  s.stop = true;
  for (auto& t : threads) t.join();

  report r;
  r.opts = o;
  r.elapsed_s = std::chrono::duration<double>(std::min(finished, o.requests ? finished : s.end) -
                                              s.measure_from).count();
  for (auto& w : s.workers) {
    for (auto& [op, st] : w.ops) {
      r.ops[op].latency.merge(st.latency);
      for (auto& [status, n] : st.statuses) r.ops[op].statuses[status] += n;
    }
    r.accepted += w.accepted;
    r.samples.insert(r.samples.end(), w.samples.begin(), w.samples.end());
  }
  r.freshness = s.freshness;
  r.freshness_timeouts = s.freshness_timeouts + s.fresh_queue.size();
  r.freshness_polls = s.freshness_polls;
  return r;
}

}  // namespace sluice::bench
