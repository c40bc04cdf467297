#pragma once
// The failure schedule shared by the fault-injecting wrappers (faulty_store,
// faulty_broker), in the manner of LevelDB's FaultInjectionTestEnv: a test
// says which operation fails, with which error, how many times; the wrapper
// asks before every call whether to fail it or forward it.
//
// Thread safety: all methods may be called concurrently.

#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <system_error>

namespace sluice::testing {

template <class Op, std::size_t N>
class fault_plan {
 public:
  // The next `count` calls of `op` fail with `error` (added to any already planned).
  void fail_next(Op op, std::error_code error, std::size_t count = 1) {
    std::lock_guard lock(mu_);
    auto& s = slots_[index(op)];
    s.error = error;
    s.remaining += count;
  }
  // Every call of `op` fails with `error` until heal(op).
  void fail_always(Op op, std::error_code error) {
    std::lock_guard lock(mu_);
    auto& s = slots_[index(op)];
    s.error = error;
    s.always = true;
  }
  void heal(Op op) {
    std::lock_guard lock(mu_);
    auto& s = slots_[index(op)];
    s.always = false;
    s.remaining = 0;
  }

  // Called by the wrapper before each call of `op`: the error to fail it
  // with, or nullopt to forward it. Counts the call either way.
  std::optional<std::error_code> take(Op op) {
    std::lock_guard lock(mu_);
    auto& s = slots_[index(op)];
    ++s.calls;
    if (!s.always) {
      if (s.remaining == 0) return std::nullopt;
      --s.remaining;
    }
    ++s.failed;
    return s.error;
  }

  // Calls of `op` so far, and how many of them were failed.
  std::size_t calls(Op op) const {
    std::lock_guard lock(mu_);
    return slots_[index(op)].calls;
  }
  std::size_t failed(Op op) const {
    std::lock_guard lock(mu_);
    return slots_[index(op)].failed;
  }

 private:
  struct slot {
    std::error_code error;
    std::size_t remaining = 0;
    bool always = false;
    std::size_t calls = 0, failed = 0;
  };
  static std::size_t index(Op op) { return static_cast<std::size_t>(op); }

  mutable std::mutex mu_;
  std::array<slot, N> slots_{};
};

}  // namespace sluice::testing
