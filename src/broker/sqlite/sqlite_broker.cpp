// The SQLite broker: threads, grouping and completion. The SQL lives in
// queue_sql.cpp, the schema in schema.cpp.
//
// One writer thread owns the write connection. Callers queue operations; the
// thread takes everything queued at that moment (up to max_group messages)
// and applies it in two transactions:
//   1. publishes, acks, releases and declares in one BEGIN IMMEDIATE … COMMIT
//      with synchronous=FULL: one fsync for the whole group. Each operation
//      runs in its own SAVEPOINT so that one caller's conflict or oversized
//      message undoes only that caller's work. Publish callbacks run after the
//      COMMIT (outside every lock), with {} only if the COMMIT succeeded.
//   2. the lease step of every waiting pull, after (1) committed, so that a
//      pull never hands out a message whose transaction could still roll back.
//      This one commits with synchronous=NORMAL: in WAL mode that keeps the
//      file consistent and loses at most the last transactions on power loss,
//      and a lost lease only means a redelivery. Every process sharing the file
//      is on this host (SQLite WAL needs shared memory), so a power loss also
//      ends every worker that held such a lease. A later FULL commit appends to
//      the same WAL and so makes earlier leases durable before any ack of them.
// Pulls block their own thread on the lease operation and then on pull_cv_,
// which the writer signals after a commit that made deliveries visible;
// they re-check every poll_interval for publishes of other processes. An idle
// re-check is a plain read (has_visible), so idle pollers never take the
// file's write lock away from other processes.
// Reads (depth, holds, ping) use a second, query_only connection under
// read_mu_: WAL lets them run beside the writer.

#include "broker/sqlite/sqlite_broker.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>
#include <variant>

#include "broker/publish_queue.hpp"
#include "broker/sqlite/codec.hpp"
#include "broker/sqlite/operations.hpp"
#include "broker/sqlite/queue_sql.hpp"
#include "broker/sqlite/schema.hpp"
#include "broker/sqlite/storage_guard.hpp"

namespace sluice::broker {
namespace {

using sqlite::ack_op;
using sqlite::change_op;
using sqlite::connection;
using sqlite::declare_op;
using sqlite::lease_op;
using sqlite::lease_ref;
using sqlite::operation;
using sqlite::publish_op;
using sqlite::release_op;

constexpr std::chrono::milliseconds k_busy_timeout{5000};

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t to_us(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

// The interface promises errc values; SQLite's codes stay inside. A disk-full
// failure of the writer arrives here as SQLITE_FULL (see transaction()).
std::error_code to_broker_error(std::error_code ec) {
  if (!ec || ec.category() == category()) return ec;
  if (sqlite::is_disk_full(ec, 0)) return errc::storage_full;
  return errc::unavailable;
}

std::vector<lease_ref> to_leases(std::span<const delivery> deliveries) {
  std::vector<lease_ref> leases;
  leases.reserve(deliveries.size());
  for (const auto& d : deliveries) {
    // A receipt not made here cannot match a lease: acking it is a no-op.
    if (auto ref = sqlite::decode_receipt(d.subscription, d.receipt)) leases.push_back(*ref);
  }
  return leases;
}

class sqlite_broker final : public broker {
 public:
  sqlite_broker(const sqlite_broker_options& options, connection writer,
                std::optional<connection> reader)
      : options_(options),
        write_(std::move(writer)),
        read_(std::move(reader)),
        storage_(options.path, read_ ? options.reserve_bytes : 0),
        lease_tokens_(std::random_device{}()) {
    storage_.start();
    writer_ = std::thread([this] { run(); });
  }

  ~sqlite_broker() override { close(); }

  std::error_code declare(std::span<const topology> subscriptions) override {
    declare_op op{{subscriptions.begin(), subscriptions.end()}};
    return submit_change(std::move(op));
  }

  void publish(std::vector<message> messages, publish_callback done) override {
    std::error_code rejected;
    {
      std::lock_guard lock(mu_);
      const auto n = messages.size();
      // The admission rule shared with the networked brokers' publish_queue.
      // (This queue also carries acks, releases and leases for the same
      // single writer, so it keeps its own thread.)
      rejected = detail::admit(closing_, {}, pending_messages_, n, options_.max_pending);
      if (!rejected) {
        pending_messages_ += n;
        queue_.emplace_back(publish_op{std::move(messages), std::move(done)});
      }
    }
    if (rejected) {
      // Called at once, on the caller's thread: there may be no broker thread
      // left (after close), and refusing must not wait behind a commit.
      done(rejected);
      return;
    }
    work_cv_.notify_one();
  }

  result<std::vector<delivery>> pull(std::string_view subscription, std::size_t max,
                                     std::chrono::milliseconds wait) override {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    bool first = true;
    for (;;) {
      std::future<result<std::vector<delivery>>> leased;
      std::uint64_t epoch = 0;
      {
        std::lock_guard lock(mu_);
        if (closing_) {
          if (first) return errc::closed;
          return std::vector<delivery>{};
        }
        // Read before the lease so that a commit racing with it is not missed.
        epoch = visible_epoch_;
        lease_op op{std::string(subscription), max, {}};
        leased = op.done.get_future();
        queue_.emplace_back(std::move(op));
      }
      work_cv_.notify_one();
      first = false;
      auto got = leased.get();
      if (!got || !got->empty() || max == 0) return got;

      std::unique_lock lock(mu_);
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return std::vector<delivery>{};
      pull_cv_.wait_until(lock, std::min(deadline, now + options_.poll_interval),
                          [&] { return closing_ || visible_epoch_ != epoch; });
      if (closing_) return std::vector<delivery>{};
      // Past the deadline only a fresh commit earns one more look.
      if (visible_epoch_ == epoch && std::chrono::steady_clock::now() >= deadline) {
        return std::vector<delivery>{};
      }
    }
  }

  std::error_code ack(std::span<const delivery> deliveries) override {
    return submit_change(ack_op{to_leases(deliveries)});
  }

  std::error_code release(std::span<const delivery> deliveries, std::chrono::milliseconds delay,
                          bool count_attempt) override {
    return submit_change(release_op{to_leases(deliveries), to_us(delay), count_attempt});
  }

  result<std::uint64_t> depth(std::string_view subscription) override {
    return read([&](connection& db) -> result<std::uint64_t> {
      auto known = sqlite::subscription_exists(db, subscription);
      if (!known) return known.error();
      if (!*known) return errc::unknown_subscription;
      return sqlite::count_deliveries(db, subscription);
    });
  }

  result<std::optional<bool>> holds(std::string_view message_id) override {
    return read([&](connection& db) -> result<std::optional<bool>> {
      auto held = sqlite::message_exists(db, message_id);
      if (!held) return held.error();
      return std::optional<bool>(*held);
    });
  }

  std::error_code ping() override {
    // The reserve is read too: another process may have released it.
    if (storage_.full() || !storage_.reserve().in_place()) return errc::storage_full;
    auto probe = read([](connection& db) -> result<bool> {
      // A real read of the schema: fails when the file is unreadable or not ours.
      return sqlite::subscription_exists(db, "");
    });
    return probe ? std::error_code() : probe.error();
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    work_cv_.notify_all();
    pull_cv_.notify_all();
    // From a publish callback (the writer thread itself): it drains the queue
    // and ends on its own; the destructor joins it.
    if (std::this_thread::get_id() == writer_.get_id()) return;
    std::call_once(joined_, [this] { writer_.join(); });
  }

 private:
  std::error_code submit_change(std::variant<ack_op, release_op, declare_op> what) {
    std::future<std::error_code> done;
    {
      std::lock_guard lock(mu_);
      if (closing_) return errc::closed;
      change_op op{std::move(what), {}};
      done = op.done.get_future();
      queue_.emplace_back(std::move(op));
    }
    work_cv_.notify_one();
    return done.get();
  }

  // Runs `query` on the read connection (the write one for ":memory:", which
  // a second connection would not share).
  template <class F>
  auto read(F query) -> decltype(query(std::declval<connection&>())) {
    {
      std::lock_guard lock(mu_);
      if (closing_) return errc::closed;
    }
    std::lock_guard lock(read_ ? read_mu_ : write_mu_);
    auto r = query(read_ ? *read_ : write_);
    if (!r) return to_broker_error(r.error());
    return r;
  }

  void run() {
    for (;;) {
      std::vector<publish_op> publishes;
      std::vector<change_op> changes;
      std::vector<lease_op> leases;
      {
        std::unique_lock lock(mu_);
        auto ready = [&] { return closing_ || !queue_.empty(); };
        if (!storage_.full()) {
          work_cv_.wait(lock, ready);
        } else if (!work_cv_.wait_for(lock, options_.poll_interval, ready)) {
          // Full and idle: look for room every poll interval, so that
          // publishes resume (and /readyz recovers) without waiting for one.
          lock.unlock();
          storage_.recheck();
          continue;
        }
        if (queue_.empty()) return;  // closing, and everything accepted is done
        std::size_t taken = 0;
        while (!queue_.empty()) {
          const auto w = sqlite::weight(queue_.front());
          if (taken > 0 && taken + w > options_.max_group) break;
          taken += w;
          std::visit(
              [&](auto& op) {
                using T = std::decay_t<decltype(op)>;
                if constexpr (std::is_same_v<T, publish_op>) publishes.push_back(std::move(op));
                if constexpr (std::is_same_v<T, change_op>) changes.push_back(std::move(op));
                if constexpr (std::is_same_v<T, lease_op>) leases.push_back(std::move(op));
              },
              queue_.front());
          queue_.pop_front();
        }
      }
      if (!publishes.empty() || !changes.empty()) commit_group(publishes, changes);
      if (!leases.empty()) lease_group(leases);
    }
  }

  // Applies `apply` inside a savepoint: its failure (returned in `op_error`)
  // undoes only its own writes. Returns an error when the whole transaction is
  // lost, either because SQLite rolled it back or the savepoint itself failed.
  template <class F>
  std::error_code in_savepoint(F apply, std::error_code& op_error) {
    if (auto ec = run_sql("SAVEPOINT op")) return ec;
    op_error = apply();
    if (op_error) {
      // Out of space: the whole group fails, so that transaction() sees it
      // and the changes can be retried alone (commit_group).
      if (!write_.in_transaction() || sqlite::is_disk_full(op_error, write_.system_errno())) {
        return op_error;
      }
      if (auto ec = run_sql("ROLLBACK TO op")) return ec;
    }
    return run_sql("RELEASE op");
  }

  std::error_code run_sql(const std::string& sql) {
    auto stmt = write_.prepare(sql);
    return stmt ? stmt->run() : stmt.error();
  }

  // Runs `body` in BEGIN IMMEDIATE … COMMIT; rolls back on any error. A
  // failure for want of space comes back as SQLITE_FULL (also an I/O error
  // whose errno says so) and puts the queue in full mode (storage_guard.hpp).
  template <class F>
  std::error_code transaction(F body) {
    auto ec = run_sql("BEGIN IMMEDIATE");
    if (!ec) ec = body();
    if (!ec) ec = run_sql("COMMIT");
    if (ec && sqlite::is_disk_full(ec, write_.system_errno())) {
      // Read before the ROLLBACK, which replaces SQLite's message.
      storage_.on_full(write_.error_message());
      ec = sqlite::make_sqlite_error(SQLITE_FULL);
    }
    if (ec && write_.in_transaction()) {
      // Nothing more can be done if this fails too; the callers get `ec`.
      static_cast<void>(run_sql("ROLLBACK"));
    }
    return ec;
  }

  std::error_code apply_change(change_op& op, std::int64_t now) {
    return std::visit(
        [&](auto& c) -> std::error_code {
          using T = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<T, ack_op>) {
            return sqlite::delete_deliveries(write_, c.leases, now);
          } else if constexpr (std::is_same_v<T, release_op>) {
            return sqlite::release_deliveries(write_, c.leases, now + c.delay_us, c.count_attempt);
          } else {
            return sqlite::insert_subscriptions(write_, c.subscriptions);
          }
        },
        op.what);
  }

  // Full: checkpoints now and truncates the WAL, so that the space the drain
  // freed (vacuumed pages, WAL frames) returns to the filesystem at once.
  // Best effort: a checkpoint that cannot finish (a reader in the way) is
  // done by a later group.
  void return_space() {
    {
      std::lock_guard lock(write_mu_);
      static_cast<void>(write_.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    }
    storage_.recheck();
  }

  // One group transaction (see the top of this file): the publishes unless
  // `with_publishes` is false, then the changes. Sets each operation's
  // outcome; returns the error that lost the whole transaction, if any.
  std::error_code write_group(std::vector<publish_op>& publishes, bool with_publishes,
                              std::vector<change_op>& changes,
                              std::vector<std::error_code>& published,
                              std::vector<std::error_code>& changed) {
    std::fill(published.begin(), published.end(), std::error_code());
    std::fill(changed.begin(), changed.end(), std::error_code());
    std::lock_guard lock(write_mu_);
    // Each transaction sets its own sync level (lease_group lowers it).
    // SQLite applies this pragma when parsing it, so it is not a cached statement.
    if (auto ec = write_.exec("PRAGMA synchronous = FULL")) return ec;
    return transaction([&]() -> std::error_code {
      const auto now = now_us();  // after BEGIN: the wait for the lock is not visible time
      for (std::size_t i = 0; with_publishes && i < publishes.size(); ++i) {
        auto apply = [&] {
          return sqlite::insert_messages(write_, publishes[i].messages, now,
                                         to_us(options_.dedup_window));
        };
        if (auto ec = in_savepoint(apply, published[i])) return ec;
      }
      for (std::size_t i = 0; i < changes.size(); ++i) {
        auto apply = [&] { return apply_change(changes[i], now); };
        if (auto ec = in_savepoint(apply, changed[i])) return ec;
      }
      // At most once a second: drop kept ids whose duplicate window is over.
      if (now >= next_expiry_us_) {
        next_expiry_us_ = now + 1'000'000;
        if (auto ec = sqlite::expire_kept(write_, now)) return ec;
      }
      // Full: the pages that acks freed go back to the filesystem (at the
      // next checkpoint), so that the reserve can be allocated again.
      if (storage_.full() && !changes.empty()) {
        if (auto ec = write_.exec("PRAGMA incremental_vacuum")) return ec;
      }
      return {};
    });
  }

  void commit_group(std::vector<publish_op>& publishes, std::vector<change_op>& changes) {
    std::vector<std::error_code> published(publishes.size());
    std::vector<std::error_code> changed(changes.size());
    // Full: publishes are refused unwritten, so that they cannot take the
    // space the drain needs; acks and releases still commit.
    bool with_publishes = !publishes.empty() && storage_.room_for_publishes();
    std::error_code group_error;
    if (with_publishes || !changes.empty()) {
      group_error = write_group(publishes, with_publishes, changes, published, changed);
      if (with_publishes && sqlite::is_disk_full(group_error, 0)) {
        // The publishes took the last space; transaction() released the
        // reserve, in which the changes now commit without them.
        with_publishes = false;
        if (!changes.empty()) {
          group_error = write_group(publishes, false, changes, published, changed);
        }
      }
    }
    // Nothing is reported as done unless the COMMIT succeeded.
    const auto refused = make_error_code(errc::storage_full);
    if (group_error) {
      const auto lost =
          sqlite::is_disk_full(group_error, 0) ? refused : make_error_code(errc::unavailable);
      std::fill(published.begin(), published.end(), lost);
      std::fill(changed.begin(), changed.end(), lost);
    }
    if (!with_publishes) std::fill(published.begin(), published.end(), refused);
    if (with_publishes && !group_error) storage_.on_published();
    if (storage_.full() && !changes.empty() && !group_error) return_space();

    bool made_visible = false;
    for (std::size_t i = 0; i < publishes.size(); ++i) made_visible |= !published[i];
    for (std::size_t i = 0; i < changes.size(); ++i) {
      made_visible |= !changed[i] && std::holds_alternative<release_op>(changes[i].what);
    }
    if (made_visible) {
      {
        std::lock_guard lock(mu_);
        ++visible_epoch_;
      }
      pull_cv_.notify_all();
    }

    {
      // Before the callbacks, so that one publishing again is not refused for
      // the very messages it was told about.
      std::size_t messages = 0;
      for (const auto& p : publishes) messages += p.messages.size();
      std::lock_guard lock(mu_);
      pending_messages_ -= messages;
    }
    for (std::size_t i = 0; i < publishes.size(); ++i) {
      publishes[i].done(to_broker_error(published[i]));
    }
    for (std::size_t i = 0; i < changes.size(); ++i) {
      changes[i].done.set_value(to_broker_error(changed[i]));
    }
  }

  // What one lease operation gets: `leased` unless `error`.
  struct lease_outcome {
    std::vector<delivery> leased;
    std::error_code error;
  };

  void lease_group(std::vector<lease_op>& ops) {
    bool closing = false;
    {
      std::lock_guard lock(mu_);
      closing = closing_;
    }
    std::vector<lease_outcome> out(ops.size());
    {
      std::lock_guard lock(write_mu_);
      lease_locked(ops, closing, out);
    }
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (out[i].error) {
        ops[i].done.set_value(to_broker_error(out[i].error));
      } else {
        ops[i].done.set_value(std::move(out[i].leased));
      }
    }
  }

  // REQUIRES: write_mu_ held.
  void lease_locked(std::vector<lease_op>& ops, bool closing, std::vector<lease_outcome>& out) {
    std::vector<std::size_t> wanted;
    const auto checked_at = now_us();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      // Pulls woken by close() return empty; leasing for them would only
      // delay those messages by a visibility timeout.
      if (closing || ops[i].max == 0) continue;
      if (auto ec = check_subscription(ops[i].subscription)) {
        out[i].error = ec;
        continue;
      }
      auto visible = sqlite::has_visible(write_, ops[i].subscription, checked_at);
      if (!visible) {
        out[i].error = visible.error();
      } else if (*visible) {
        wanted.push_back(i);
      }
    }
    if (wanted.empty()) return;

    // NORMAL: see the top of this file. commit_group sets FULL again.
    auto ec = write_.exec("PRAGMA synchronous = NORMAL");
    auto lease_all = [&]() -> std::error_code {
      const auto now = now_us();
      const auto until = now + to_us(options_.visibility_timeout);
      for (auto i : wanted) {
        auto leased = sqlite::lease_deliveries(write_, ops[i].subscription, ops[i].max, now,
                                               until, next_lease_token());
        if (!leased) return leased.error();
        out[i].leased = std::move(*leased);
      }
      return {};
    };
    if (!ec) ec = transaction(lease_all);
    // Out of space: transaction() released the reserve; once more in its room.
    if (sqlite::is_disk_full(ec, 0)) ec = transaction(lease_all);
    // Leases of a failed transaction were rolled back: hand none of them out.
    if (ec) {
      for (auto i : wanted) out[i] = {{}, ec};
    }
  }

  // Subscriptions are never deleted, so a name once seen needs no more lookups.
  std::error_code check_subscription(const std::string& name) {
    if (known_subscriptions_.contains(name)) return {};
    auto exists = sqlite::subscription_exists(write_, name);
    if (!exists) return exists.error();
    if (!*exists) return errc::unknown_subscription;
    known_subscriptions_.insert(name);
    return {};
  }

  // Random, so that leases made by other processes (or before a restart)
  // cannot be mistaken for ours; 63 bits keep it a positive SQLite integer.
  std::int64_t next_lease_token() { return static_cast<std::int64_t>(lease_tokens_() >> 1); }

  const sqlite_broker_options options_;

  // Guarded by mu_.
  std::mutex mu_;
  std::condition_variable work_cv_;  // the writer waits for operations
  std::condition_variable pull_cv_;  // pulls wait for visible_epoch_ or closing_
  std::deque<operation> queue_;
  std::size_t pending_messages_ = 0;  // accepted, callback not yet called
  std::int64_t next_expiry_us_ = 0;    // writer thread only
  std::uint64_t visible_epoch_ = 0;   // bumped after a commit made deliveries visible
  bool closing_ = false;

  // write_ is used by the writer thread only, except that reads of a
  // ":memory:" database share it; write_mu_ orders those.
  std::mutex write_mu_;
  connection write_;
  std::mutex read_mu_;
  std::optional<connection> read_;  // absent for ":memory:"
  // Room for publishes (no reserve for ":memory:"); full() from any thread.
  sqlite::storage_guard storage_;

  // Writer thread only.
  std::unordered_set<std::string> known_subscriptions_;
  std::mt19937_64 lease_tokens_;

  std::once_flag joined_;
  std::thread writer_;  // last: starts after every member it uses exists
};

}  // namespace

result<std::unique_ptr<broker>> make_sqlite_broker(const sqlite_broker_options& options) {
  auto writer = sqlite::connection::open(options.path, {k_busy_timeout});
  if (!writer) return errc::unavailable;
  if (sqlite::prepare_writer(*writer)) return errc::unavailable;

  std::optional<connection> reader;
  if (options.path != ":memory:" && !options.path.empty()) {
    auto r = sqlite::connection::open(options.path, {k_busy_timeout});
    if (!r) return errc::unavailable;
    if (sqlite::prepare_reader(*r)) return errc::unavailable;
    reader = std::move(*r);
  }
  return std::unique_ptr<broker>(
      std::make_unique<sqlite_broker>(options, std::move(*writer), std::move(reader)));
}

}  // namespace sluice::broker
