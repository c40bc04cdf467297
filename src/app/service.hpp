#pragma once
// Runs Sluice: the HTTP API, the subscribers, or both, until SIGTERM/SIGINT,
// then stops gracefully — stop accepting, finish requests in flight (their
// publishes included), finish the subscribers' batches, flush the broker —
// and returns the process exit code.

#include "config/config.hpp"

namespace sluice::app {

struct roles {
  bool api = true;
  bool worker = true;
};

int run_service(const config::config& cfg, roles r);

// Creates or upgrades the store's tables and the broker's subscriptions.
int run_migrate(const config::config& cfg);

}  // namespace sluice::app
