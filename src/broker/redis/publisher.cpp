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

  command(std::span<const message> messages, const publisher_options& o) {
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
      args.push_back(m.deduplicate ? m.fingerprint : std::string());
      args.push_back(std::to_string(fields.size()));
      args.insert(args.end(), std::make_move_iterator(fields.begin()),
                  std::make_move_iterator(fields.end()));
    }
  }
};

publisher::publisher(publisher_options options)
    : options_(std::move(options)),
      backoff_(options_.retry_min, options_.retry_max),
      queue_(*this, {.max_pending = options_.max_pending, .max_group = options_.max_group}) {}

publisher::~publisher() { close(); }

bool publisher::reachable() {
  std::lock_guard lock(mu_);
  return !down_;
}

std::error_code publisher::refuse() {
  std::lock_guard lock(mu_);
  // Fail fast: the last attempt to reach Redis failed.
  return down_ && clock::now() < next_retry_ ? make_error_code(errc::unavailable)
                                             : std::error_code{};
}

std::optional<clock::time_point> publisher::wake_at() {
  std::lock_guard lock(mu_);
  if (!down_) return std::nullopt;
  return next_retry_;
}

void publisher::on_wake() {
  // Reconnect in the background, so that ping() and new publishes recover.
  if (connect()) {
    mark_up();
  } else {
    mark_down();
  }
}

void publisher::send(std::span<message> items, std::span<const std::size_t> calls,
                     std::span<std::error_code> results) {
  std::vector<command> cmds;
  cmds.reserve(calls.size());
  std::size_t at = 0;
  for (auto n : calls) {
    cmds.emplace_back(std::span<const message>(items).subspan(at, n), options_);
    at += n;
  }
  std::vector<std::error_code> out(calls.size(), make_error_code(errc::unavailable));
  std::vector<bool> unanswered(calls.size(), false);  // sent, no reply: may have run
  std::vector<std::size_t> todo(calls.size());
  std::iota(todo.begin(), todo.end(), std::size_t{0});

  bool ok = false;
  if (!refuse()) {
    // A connection the server closed while idle (e.g. it restarted) is
    // replaced before anything is sent on it: then a failure is a refusal.
    if (conn_ && conn_->stale()) conn_.reset();
    // Twice at most: once more on a new connection when the first broke.
    for (int attempt = 0; attempt < 2 && !todo.empty(); ++attempt) {
      if (!conn_ && !connect()) break;
      todo = send(cmds, todo, out, unanswered);
    }
    // Issue 11 #27: sent but never answered, even after the resend: the
    // script may have run (all of it: it is atomic) or not.
    for (auto i : todo) {
      if (unanswered[i]) out[i] = errc::outcome_unknown;
    }
    ok = todo.empty();
    if (ok) {
      mark_up();
    } else {
      mark_down();
    }
  }
  at = 0;
  for (std::size_t k = 0; k < calls.size(); ++k) {
    for (std::size_t i = 0; i < calls[k]; ++i) results[at + i] = out[k];
    at += calls[k];
  }
  if (ok) trim(cmds);
}

std::vector<std::size_t> publisher::send(std::vector<command>& cmds,
                                         const std::vector<std::size_t>& todo,
                                         std::vector<std::error_code>& out,
                                         std::vector<bool>& unanswered) {
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
      for (auto j = k; j < todo.size(); ++j) unanswered[todo[j]] = true;
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
  if (!down_) backoff_.reset();
  down_ = true;
  next_retry_ = clock::now() + backoff_.next();
}

void publisher::mark_up() {
  std::lock_guard lock(mu_);
  down_ = false;
  backoff_.reset();
}

}  // namespace sluice::broker::redis
