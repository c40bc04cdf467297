#pragma once
// What callers queue for the broker's writer thread: acks, releases,
// declares and leases, each completed through a promise its caller waits on.
// Private to src/broker/sqlite/. Publishes do not come here: they go through
// the shared publish_queue (sqlite_broker.cpp).

#include <cstdint>
#include <future>
#include <string>
#include <variant>
#include <vector>

#include "broker/broker.hpp"
#include "broker/sqlite/codec.hpp"

namespace sluice::broker::sqlite {

struct ack_op {
  std::vector<lease_ref> leases;
};
struct release_op {
  std::vector<lease_ref> leases;
  std::int64_t delay_us = 0;
  bool count_attempt = true;
};
struct declare_op {
  std::vector<topology> subscriptions;
};
// An ack, release or declare; its caller waits on `done`.
struct change_op {
  std::variant<ack_op, release_op, declare_op> what;
  std::promise<std::error_code> done;
};
struct lease_op {
  std::string subscription;
  std::size_t max = 0;
  std::promise<result<std::vector<delivery>>> done;
};
using operation = std::variant<change_op, lease_op>;

// How much of a group (max_group) an operation uses: its deliveries, at least 1.
inline std::size_t weight(const operation& op) {
  std::size_t n = 1;
  if (const auto* c = std::get_if<change_op>(&op)) {
    if (const auto* a = std::get_if<ack_op>(&c->what)) n = a->leases.size();
    if (const auto* r = std::get_if<release_op>(&c->what)) n = r->leases.size();
  }
  return n > 0 ? n : 1;
}

}  // namespace sluice::broker::sqlite
