#pragma once
// What callers queue for the broker's writer thread. Private to
// src/broker/sqlite/. Publishes complete through their callback; the other
// operations through a promise their caller waits on.

#include <cstdint>
#include <future>
#include <string>
#include <variant>
#include <vector>

#include "broker/broker.hpp"
#include "broker/sqlite/codec.hpp"

namespace sluice::broker::sqlite {

struct publish_op {
  std::vector<message> messages;
  publish_callback done;
};
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
using operation = std::variant<publish_op, change_op, lease_op>;

// How much of a group (max_group) an operation uses: its messages or
// deliveries, at least 1.
inline std::size_t weight(const operation& op) {
  std::size_t n = 1;
  if (const auto* p = std::get_if<publish_op>(&op)) n = p->messages.size();
  if (const auto* c = std::get_if<change_op>(&op)) {
    if (const auto* a = std::get_if<ack_op>(&c->what)) n = a->leases.size();
    if (const auto* r = std::get_if<release_op>(&c->what)) n = r->leases.size();
  }
  return n > 0 ? n : 1;
}

}  // namespace sluice::broker::sqlite
