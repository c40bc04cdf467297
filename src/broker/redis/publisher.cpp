#include "broker/redis/publisher.hpp"

#include <algorithm>
#include <numeric>
#include <set>

namespace sluice::broker::redis {
namespace {

using clock = std::chrono::steady_clock;

std::vector<std::string_view> views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

// One publish call as Redis arguments: a plain XADD when that is already
// all-or-nothing (one message, no duplicate check), else the publish script.
struct publisher::command {
  bool eval = false;
  std::vector<std::string> keys;  // script only
  std::vector<std::string> args;  // the XADD command, or the script's ARGV
  std::set<std::string> streams;

  command(const std::vector<message>& messages, const publisher_options& o) {
    if (messages.size() == 1 && !messages[0].deduplicate) {
      const auto& m = messages[0];
      auto stream = o.keys.stream(m.topic);
      args = {"XADD", stream, "*"};
      auto fields = encode_fields(m);
      args.insert(args.end(), std::make_move_iterator(fields.begin()),
                  std::make_move_iterator(fields.end()));
      streams.insert(std::move(stream));
      return;
    }
    eval = true;
    args.push_back(std::to_string(o.dedup_window.count()));
    for (const auto& m : messages) {
      auto stream = o.keys.stream(m.topic);
      keys.push_back(stream);
      keys.push_back(o.keys.dedup(m.id));
      streams.insert(std::move(stream));
      auto fields = encode_fields(m);
      args.push_back(m.deduplicate ? "1" : "0");
      args.push_back(std::to_string(fields.size()));
      args.insert(args.end(), std::make_move_iterator(fields.begin()),
                  std::make_move_iterator(fields.end()));
    }
  }
};

publisher::publisher(publisher_options options)
    : options_(std::move(options)), jitter_(std::random_device{}()) {
  thread_ = std::thread([this] { run(); });
}

publisher::~publisher() { close(); }

void publisher::submit(std::vector<message> messages, publish_callback done) {
  std::error_code refused;
  {
    std::lock_guard lock(mu_);
    const auto n = messages.size();
    if (closing_) {
      refused = errc::closed;
    } else if (down_ && clock::now() < next_retry_) {
      refused = errc::unavailable;  // fail fast: the last attempt to reach Redis failed
    } else if (pending_ > 0 && pending_ + n > options_.max_pending) {
      // An oversized call is still let in alone: refusing it would be forever.
      refused = errc::overloaded;
    } else {
      pending_ += n;
      queue_.push_back({std::move(messages), std::move(done)});
    }
  }
  if (refused) {
    done(refused);
    return;
  }
  cv_.notify_one();
}

bool publisher::reachable() {
  std::lock_guard lock(mu_);
  return !down_;
}

void publisher::close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  // From a callback (this thread): it drains the queue and ends on its own.
  if (std::this_thread::get_id() == thread_.get_id()) return;
  std::call_once(joined_, [this] { thread_.join(); });
}

void publisher::run() {
  for (;;) {
    std::vector<op> batch;
    bool retry_now = false;
    {
      std::unique_lock lock(mu_);
      auto ready = [&] {
        return closing_ || !queue_.empty() || (down_ && clock::now() >= next_retry_);
      };
      if (down_) {
        cv_.wait_until(lock, next_retry_, ready);
      } else {
        cv_.wait(lock, ready);
      }
      if (queue_.empty() && closing_) return;
      retry_now = down_ && clock::now() >= next_retry_;
      std::size_t taken = 0;
      while (!queue_.empty()) {
        const auto w = std::max<std::size_t>(1, queue_.front().messages.size());
        if (taken > 0 && taken + w > options_.max_group) break;
        taken += w;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!batch.empty()) {
      deliver(batch);
    } else if (retry_now) {
      // Reconnect in the background, so that ping() and new publishes recover.
      if (connect()) {
        mark_up();
      } else {
        mark_down();
      }
    }
  }
}

void publisher::deliver(std::vector<op>& batch) {
  std::vector<command> cmds;
  cmds.reserve(batch.size());
  for (const auto& o : batch) cmds.emplace_back(o.messages, options_);
  std::vector<std::error_code> out(batch.size(), make_error_code(errc::unavailable));
  std::vector<std::size_t> todo(batch.size());
  std::iota(todo.begin(), todo.end(), std::size_t{0});

  bool refused = false;
  {
    std::lock_guard lock(mu_);
    refused = down_ && clock::now() < next_retry_;
  }
  if (!refused) {
    // Twice at most: once more on a new connection when the first broke.
    for (int attempt = 0; attempt < 2 && !todo.empty(); ++attempt) {
      if (!conn_ && !connect()) break;
      todo = send(cmds, todo, out);
    }
    if (todo.empty()) {
      mark_up();
    } else {
      mark_down();
    }
  }

  {
    // Before the callbacks, so that one publishing again is not refused for
    // the very messages it was told about.
    std::size_t messages = 0;
    for (const auto& o : batch) messages += o.messages.size();
    std::lock_guard lock(mu_);
    pending_ -= messages;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(out[i]);
  if (!refused && todo.empty()) trim(cmds);
}

std::vector<std::size_t> publisher::send(std::vector<command>& cmds,
                                         const std::vector<std::size_t>& todo,
                                         std::vector<std::error_code>& out) {
  for (auto i : todo) {
    auto args = views(cmds[i].args);
    if (cmds[i].eval) {
      conn_->append_eval(script::publish, views(cmds[i].keys), args);
    } else {
      conn_->append(args);
    }
  }
  std::vector<std::size_t> again;
  for (std::size_t k = 0; k < todo.size(); ++k) {
    const auto i = todo[k];
    auto r = conn_->get_reply();
    if (!r) {
      // Broken: these may or may not have been applied; sending them again
      // is safe (same message ids, and the dedup check for marked ones).
      again.insert(again.end(), todo.begin() + static_cast<std::ptrdiff_t>(k), todo.end());
      break;
    }
    if (error_starts_with(r.get(), "NOSCRIPT")) {
      again.push_back(i);  // scripts flushed: a new connection loads them
    } else if (error_starts_with(r.get(), "CONFLICT")) {
      out[i] = errc::conflict;
    } else if (is_error(r.get())) {
      out[i] = errc::unavailable;  // e.g. MISCONF (persistence failing), OOM, LOADING
    } else {
      out[i] = {};
    }
  }
  if (!again.empty()) conn_.reset();
  return again;
}

void publisher::trim(const std::vector<command>& cmds) {
  const auto now = clock::now();
  std::set<std::string> due;
  for (const auto& c : cmds) {
    for (const auto& s : c.streams) {
      auto& next = next_trim_[s];
      if (now < next) continue;
      next = now + options_.trim_interval;
      due.insert(s);
    }
  }
  for (const auto& s : due) {
    if (!conn_) return;
    std::string_view keys[] = {s};
    // Best effort: a failed trim only keeps acked entries a little longer.
    (void)conn_->eval(script::trim, keys, {});
    if (conn_->broken()) conn_.reset();
  }
}

bool publisher::connect() {
  auto c = connection::open(options_.where, options_.connect_timeout, options_.io_timeout);
  if (!c) return false;
  conn_ = std::move(*c);
  return true;
}

void publisher::mark_down() {
  std::lock_guard lock(mu_);
  backoff_ = down_ ? std::min(backoff_ * 2, options_.retry_max) : options_.retry_min;
  down_ = true;
  // Jitter in [backoff/2, backoff]: clients that lost the server together
  // do not all come back at once.
  const auto half = std::max<std::int64_t>(1, backoff_.count() / 2);
  std::uniform_int_distribution<std::int64_t> pick(half, std::max(half, backoff_.count()));
  next_retry_ = clock::now() + std::chrono::milliseconds(pick(jitter_));
}

void publisher::mark_up() {
  std::lock_guard lock(mu_);
  down_ = false;
  backoff_ = std::chrono::milliseconds(0);
}

}  // namespace sluice::broker::redis
