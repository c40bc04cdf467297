// The SQLite broker: threads, grouping and completion. The SQL lives in
// queue_sql.cpp, the schema in schema.cpp.
//
// Two threads write, one transaction at a time on the one write connection
// (write_mu_ is held from BEGIN to COMMIT, so no transaction ever sees
// another's uncommitted rows):
//   1. publishes go through the shared group-commit publish_queue
//      (publish_queue.hpp: admission, max_pending, callbacks, grouping,
//      draining on close). This class is only its sender: one group is one
//      BEGIN IMMEDIATE … COMMIT with synchronous=FULL, one fsync for every
//      POST waiting at that moment. Each call runs in its own SAVEPOINT so
//      that one caller's conflict or oversized message undoes only that
//      caller's work; a call is reported done only if the COMMIT succeeded.
//   2. the writer thread takes the acks, releases, declares and the lease
//      steps of waiting pulls queued at that moment: the changes in one FULL
//      transaction (one SAVEPOINT each), then the leases in one transaction
//      with synchronous=NORMAL. In WAL mode that keeps the file consistent
//      and loses at most the last transactions on power loss, and a lost
//      lease only means a redelivery. Every process sharing the file is on
//      this host (SQLite WAL needs shared memory), so a power loss also ends
//      every worker that held such a lease. A later FULL commit appends to
//      the same WAL and so makes earlier leases durable before any ack of them.
// Pulls block their own thread on the lease operation and then on pull_cv_,
// which is signalled after a commit that made deliveries visible; they
// re-check every poll_interval for publishes of other processes. An idle
// re-check is a plain read (has_visible), so idle pollers never take the
// file's write lock away from other processes.
// Reads (depth, holds, ping) use a second, query_only connection under
// read_mu_: WAL lets them run beside the writers.

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
using sqlite::release_op;

constexpr std::chrono::milliseconds k_busy_timeout{5000};

// The queue's time, in wall-clock microseconds (the file keeps leases,
// retry delays and duplicate windows as such, so that other processes and a
// restart read them), but read from the wall clock once per process and
// advanced by the steady clock since: a step of the wall clock while the
// process runs (NTP, an operator, a VM resumed) moves none of them. A step
// back would otherwise hide every waiting delivery for as long as the step,
// and a step forward expire every lease and duplicate window at once
// (tests/faults/clock_jump_test.cpp). Processes sharing the file agree as
// long as their wall clocks agreed when each started; fresh deliveries are
// visible at once whatever a process's clock says (queue_sql.cpp,
// insert_messages).
std::int64_t now_us() {
  using namespace std::chrono;
  struct anchor {
    std::int64_t wall_us =
        duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    steady_clock::time_point steady = steady_clock::now();
  };
  static const anchor a;
  return a.wall_us + duration_cast<microseconds>(steady_clock::now() - a.steady).count();
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

class sqlite_broker final : public broker, private group_sender<message> {
 public:
  sqlite_broker(const sqlite_broker_options& options, connection writer,
                std::optional<connection> reader)
      : options_(options),
        write_(std::move(writer)),
        read_(std::move(reader)),
        storage_(options.path, read_ ? options.reserve_bytes : 0),
        lease_tokens_(std::random_device{}()),
        publishes_(*this, {.max_pending = options.max_pending, .max_group = options.max_group}) {
    // Before any write: nothing can be submitted until the constructor returns.
    storage_.start();
    writer_ = std::thread([this] { run(); });
  }

  ~sqlite_broker() override { close(); }

  std::error_code declare(std::span<const topology> subscriptions) override {
    declare_op op{{subscriptions.begin(), subscriptions.end()}};
    return submit_change(std::move(op));
  }

  void publish(std::vector<message> messages, publish_callback done) override {
    publishes_.submit(std::move(messages), std::move(done));
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
    // Completes the publishes already accepted; from a publish callback (the
    // queue's own thread) it returns at once and the queue ends on its own.
    publishes_.close();
    // The writer finishes the changes already queued; it never calls close().
    std::call_once(joined_, [this] { writer_.join(); });
  }

 private:
  // ---- publishes: the publish_queue's sender ---------------------------------

  // One group as one FULL transaction, one SAVEPOINT per call (see the top of
  // this file). Full: the publishes are refused unwritten, so that they cannot
  // take the space the drain needs.
  void send(std::span<message> items, std::span<const std::size_t> calls,
            std::span<std::error_code> out) override {
    std::vector<std::error_code> outcome(calls.size());
    std::error_code lost;
    {
      std::lock_guard lock(write_mu_);
      if (!storage_.room_for_publishes()) {
        lost = errc::storage_full;
      } else {
        lost = commit_full([&](std::int64_t now) -> std::error_code {
          std::size_t at = 0;
          for (std::size_t k = 0; k < calls.size(); ++k) {
            const auto mine = std::span<const message>(items).subspan(at, calls[k]);
            at += calls[k];
            auto apply = [&] {
              return sqlite::insert_messages(write_, mine, now, to_us(options_.dedup_window));
            };
            if (auto ec = in_savepoint(apply, outcome[k])) return ec;
          }
          return {};
        });
        if (!lost) storage_.on_published();
      }
    }
    // Nothing is reported as done unless the COMMIT succeeded.
    if (lost) std::fill(outcome.begin(), outcome.end(), lost);
    bool made_visible = false;
    std::size_t at = 0;
    for (std::size_t k = 0; k < calls.size(); ++k) {
      made_visible |= !outcome[k];
      const auto ec = to_broker_error(outcome[k]);
      std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(at), calls[k], ec);
      at += calls[k];
    }
    // Full now: the writer thread looks for room every poll interval.
    after_commit(made_visible, storage_.full());
  }

  // ---- acks, releases, declares and leases: the writer thread ---------------

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
      std::vector<change_op> changes;
      std::vector<lease_op> leases;
      {
        std::unique_lock lock(mu_);
        while (!closing_ && queue_.empty()) {
          if (!storage_.full()) {
            work_cv_.wait(lock);  // new work, close(), or a publish found the disk full
          } else if (work_cv_.wait_for(lock, options_.poll_interval) == std::cv_status::timeout &&
                     queue_.empty() && !closing_) {
            // Full and idle: look for room every poll interval, so that
            // publishes resume (and /readyz recovers) without waiting for one.
            lock.unlock();
            {
              std::lock_guard write_lock(write_mu_);
              storage_.recheck();
            }
            lock.lock();
          }
        }
        if (queue_.empty()) return;  // closing, and everything accepted is done
        std::size_t taken = 0;
        while (!queue_.empty()) {
          const auto w = sqlite::weight(queue_.front());
          if (taken > 0 && taken + w > options_.max_group) break;
          taken += w;
          if (auto* c = std::get_if<change_op>(&queue_.front())) {
            changes.push_back(std::move(*c));
          } else {
            leases.push_back(std::move(std::get<lease_op>(queue_.front())));
          }
          queue_.pop_front();
        }
      }
      if (!changes.empty()) commit_changes(changes);
      if (!leases.empty()) lease_group(leases);
    }
  }

  // ---- the write transactions ------------------------------------------------

  // Applies `apply` inside a savepoint: its failure (returned in `op_error`)
  // undoes only its own writes. Returns an error when the whole transaction is
  // lost, either because SQLite rolled it back or the savepoint itself failed.
  template <class F>
  std::error_code in_savepoint(F apply, std::error_code& op_error) {
    if (auto ec = run_sql("SAVEPOINT op")) return ec;
    op_error = apply();
    if (op_error) {
      // Out of space: the whole transaction fails, so that transaction() sees it.
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
  // REQUIRES: write_mu_ held.
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

  // A durable transaction (publishes, or acks/releases/declares): FULL sync,
  // `body(now)`, then at most once a second the expiry of kept ids whose
  // duplicate window is over. Returns the error that lost the whole of it.
  // REQUIRES: write_mu_ held.
  // `fsync` = false: the same at synchronous=NORMAL (acks only, see
  // commit_changes).
  template <class F>
  std::error_code commit_full(F body, bool fsync = true) {
    // Each transaction sets its own sync level (lease_group lowers it).
    // SQLite applies this pragma when parsing it, so it is not a cached statement.
    if (auto ec =
            write_.exec(fsync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")) {
      return ec;
    }
    return transaction([&]() -> std::error_code {
      const auto now = now_us();  // after BEGIN: the wait for the lock is not visible time
      if (auto ec = body(now)) return ec;
      if (now >= next_expiry_us_) {
        next_expiry_us_ = now + 1'000'000;
        if (auto ec = sqlite::expire_kept(write_, now)) return ec;
      }
      return {};
    });
  }

  // After a commit: wakes pulls when it made deliveries visible, and the
  // writer thread when the queue is full (it then looks for room).
  void after_commit(bool made_visible, bool full) {
    {
      std::lock_guard lock(mu_);
      if (made_visible) ++visible_epoch_;
    }
    if (made_visible) pull_cv_.notify_all();
    if (full) work_cv_.notify_one();
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
  // done by a later group. REQUIRES: write_mu_ held.
  void return_space() {
    static_cast<void>(write_.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    storage_.recheck();
  }

  // The changes in one FULL transaction, one SAVEPOINT each. They commit
  // while the disk is full too, in the room the reserve gave back, so that
  // the backlog drains.
  //
  // A group of acks only is committed without its own fsync (NORMAL): a lost
  // ack means a redelivery, which the store's idempotency turns into no
  // second row, and the next FULL commit (a publish) appends to the same WAL
  // and makes it durable anyway. Releases and declares keep FULL. Before the
  // publish_queue port acks shared the publishes' fsync; this keeps them at
  // no fsync of their own.
  void commit_changes(std::vector<change_op>& changes) {
    std::vector<std::error_code> changed(changes.size());
    std::error_code lost;
    const bool acks_only = std::all_of(changes.begin(), changes.end(), [](const change_op& c) {
      return std::holds_alternative<ack_op>(c.what);
    });
    {
      std::lock_guard lock(write_mu_);
      lost = commit_full(
          [&](std::int64_t now) -> std::error_code {
            for (std::size_t i = 0; i < changes.size(); ++i) {
              auto apply = [&] { return apply_change(changes[i], now); };
              if (auto ec = in_savepoint(apply, changed[i])) return ec;
            }
            // Full: the pages that acks freed go back to the filesystem (at the
            // next checkpoint), so that the reserve can be allocated again.
            if (storage_.full()) return write_.exec("PRAGMA incremental_vacuum");
            return {};
          },
          /*fsync=*/!acks_only);
      if (storage_.full() && !lost) return_space();
    }
    // Nothing is reported as done unless the COMMIT succeeded.
    if (lost) std::fill(changed.begin(), changed.end(), lost);
    bool made_visible = false;
    for (std::size_t i = 0; i < changes.size(); ++i) {
      made_visible |= !changed[i] && std::holds_alternative<release_op>(changes[i].what);
    }
    after_commit(made_visible, false);
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

    // NORMAL: see the top of this file. commit_full sets FULL again.
    auto ec = write_.exec("PRAGMA synchronous = NORMAL");
    auto lease_all = [&]() -> std::error_code {
      const auto now = now_us();
      const auto until = now + to_us(options_.visibility_timeout);
      for (auto i : wanted) {
        auto leased = sqlite::lease_deliveries(write_, ops[i].subscription, ops[i].max, now, until,
                                               next_lease_token());
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

  // Guarded by mu_: the writer thread's queue and what pulls wait for.
  std::mutex mu_;
  std::condition_variable work_cv_;  // the writer waits for operations
  std::condition_variable pull_cv_;  // pulls wait for visible_epoch_ or closing_
  std::deque<operation> queue_;
  std::uint64_t visible_epoch_ = 0;  // bumped after a commit made deliveries visible
  bool closing_ = false;

  // write_ is used by one write transaction at a time (the publish queue's
  // thread or the writer thread), and by reads of a ":memory:" database;
  // write_mu_ orders them and guards the members up to read_mu_.
  std::mutex write_mu_;
  connection write_;
  std::int64_t next_expiry_us_ = 0;
  std::mutex read_mu_;
  std::optional<connection> read_;  // absent for ":memory:"
  // Room for publishes (no reserve for ":memory:"); full() from any thread,
  // the rest under write_mu_.
  sqlite::storage_guard storage_;

  // Under write_mu_ (the lease step).
  std::unordered_set<std::string> known_subscriptions_;
  std::mt19937_64 lease_tokens_;

  std::once_flag joined_;
  std::thread writer_;  // started in the constructor's body
  // Last: its thread starts after every member it uses exists.
  publish_queue<message> publishes_;
};

}  // namespace

result<std::unique_ptr<broker>> make_sqlite_broker(const sqlite_broker_options& options) {
  // The interface's code, with SQLite's words and the file for start-up to show.
  auto unavailable = [&](const failure& f) -> result<std::unique_ptr<broker>> {
    return {errc::unavailable, f.message()};
  };
  auto writer = sqlite::connection::open(options.path, {k_busy_timeout});
  if (!writer) return unavailable(writer.why());
  if (auto ec = sqlite::prepare_writer(*writer)) {
    return unavailable(sluice::sqlite::failure_of(*writer, ec, options.path));
  }

  std::optional<connection> reader;
  if (options.path != ":memory:" && !options.path.empty()) {
    auto r = sqlite::connection::open(options.path, {k_busy_timeout});
    if (!r) return unavailable(r.why());
    if (auto ec = sqlite::prepare_reader(*r)) {
      return unavailable(sluice::sqlite::failure_of(*r, ec, options.path));
    }
    reader = std::move(*r);
  }
  return std::unique_ptr<broker>(
      std::make_unique<sqlite_broker>(options, std::move(*writer), std::move(reader)));
}

}  // namespace sluice::broker
