#pragma once
// A store that forwards every call to a real one (the embedded SQLite store in
// the unit tests) and fails the calls a test chooses, without reaching the
// real store: a store outage, seen from the subscriber, at no cost in time.
// Like LevelDB's EnvWrapper, only the failure schedule is added; rows,
// duplicates, refusals and dead letters are the real backend's.
// A stall (stall/unstall) holds the chosen calls until the test lets them go,
// then forwards them: a database that stops answering (issue 11 #25).
//
// Thread safety: as the wrapped store.

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "store/store.hpp"
#include "support/fault_plan.hpp"

namespace sluice::testing {

enum class store_op { migrate, attach, write, query, get, status, ping, version, count_ };

class faulty_store : public sluice::store::store {
 public:
  // Owns `inner`.
  explicit faulty_store(std::unique_ptr<sluice::store::store> inner);

  // The failure schedule (fail_next, fail_always, heal, calls, failed).
  fault_plan<store_op, static_cast<std::size_t>(store_op::count_)>& faults() { return faults_; }
  // A predicate asked for every write the schedule lets through: an error
  // fails that write (unforwarded), nullopt forwards it. Empty = forward all.
  using write_filter = std::function<std::optional<std::error_code>(const sluice::store::batch&)>;
  void fail_writes_if(write_filter f);

  sluice::store::store& inner() { return *inner_; }

  // Calls of `op` from now on block until unstall(op), then go on as usual.
  void stall(store_op op);
  void unstall(store_op op);
  // Calls of `op` blocked in a stall right now.
  std::size_t stalled(store_op op) const;
  // Waits (≤ `limit`) until at least `n` calls of `op` are blocked in a stall.
  bool wait_stalled(store_op op, std::size_t n, std::chrono::milliseconds limit) const;

  // Lets every stalled call go. REQUIRES: no call still running (a test
  // unstalls and joins its callers before the store goes).
  ~faulty_store() override;

  std::error_code migrate(std::span<const sluice::store::table_def> tables) override;
  std::error_code attach(std::span<const sluice::store::table_def> tables) override;
  result<sluice::store::batch_result> write(const sluice::store::batch& b) override;
  result<sluice::store::page> query(std::string_view table, const sluice::store::page_query& q) override;
  result<std::optional<std::string>> get(std::string_view table, std::int64_t id) override;
  result<sluice::store::message_status> status(std::string_view message_id) override;
  std::error_code ping() override;
  result<std::int64_t> version(std::string_view table) override;

 private:
  void pass_stall(store_op op);

  std::unique_ptr<sluice::store::store> inner_;
  mutable std::mutex stall_mu_;  // guards stalls_, waiting_
  mutable std::condition_variable stall_cv_;
  std::array<bool, static_cast<std::size_t>(store_op::count_)> stalls_{};
  std::array<std::size_t, static_cast<std::size_t>(store_op::count_)> waiting_{};
  fault_plan<store_op, static_cast<std::size_t>(store_op::count_)> faults_;
  std::mutex filter_mu_;
  write_filter filter_;
};

}  // namespace sluice::testing
