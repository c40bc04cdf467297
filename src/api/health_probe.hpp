#pragma once
// The store's and the broker's health as /readyz sees it (each ping bounded
// by store.read_timeout_ms), shared by /readyz and /v1/ops/stats.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "api/context.hpp"

namespace sluice::api {

struct health_report {
  std::optional<std::string> store_down;   // why, when the store is not up
  std::optional<std::string> broker_down;  // why, when the broker is not up
  bool stopping = false;
  bool ready() const { return !store_down && !broker_down && !stopping; }
};

boost::asio::awaitable<health_report> probe_health(context& ctx);

// "up" or "down: <why>".
std::string health_text(const std::optional<std::string>& down);

}  // namespace sluice::api
