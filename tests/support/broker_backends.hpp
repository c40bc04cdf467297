#pragma once
// Broker backends for the contract suite. Each backend gives a broker client
// connected to a shared server (started once per test binary); tests use
// unique topic and subscription names, so they never see each other's messages.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/broker.hpp"

namespace sluice::testing {

struct broker_backend_options {
  std::chrono::milliseconds visibility_timeout{1000};
};

class broker_backend {
 public:
  virtual ~broker_backend() = default;
  // The client; valid until the next restart().
  virtual broker::broker& get() = 0;
  // Opens a second, independent client (another "process") on the same broker.
  virtual std::unique_ptr<broker::broker> open_client() = 0;
  // Restarts the broker itself: SIGTERM (hard = false) or SIGKILL (hard = true),
  // then starts it again on the same data; reconnects get(). For the embedded
  // queue, the client is dropped and the file reopened.
  virtual bool restart(bool hard) = 0;
  // Freezes (SIGSTOP) or thaws (SIGCONT) the broker server, so that what is
  // sent to it is never answered. False where there is no server (the
  // embedded queue is local and transactional: it never leaves an outcome
  // unknown).
  virtual bool freeze(bool) { return false; }
  // False where a restart loses the broker's state by design (an in-memory
  // emulator): durability across a broker restart is then not tested.
  virtual bool keeps_messages_on_restart() const { return true; }
  // True for FIFO queues: a message in flight (or failing) holds back the
  // rest of its group, by design, so "the rest flow beside it" cannot hold.
  virtual bool ordered_groups() const { return false; }
};

std::vector<std::string> broker_backend_names();

// A broker server for integration tests, shared by the tests of one binary:
// the URL `sluice` should be given (SLUICE_BROKER_URL). Empty for the
// embedded queue, whose file lives in each test's data dir.
std::string broker_url_for_tests(const std::string& name);
// All the environment `sluice` needs for that broker: SLUICE_BROKER_URL (when
// not the embedded queue) and what else the backend takes (endpoint,
// credentials, FIFO…).
std::map<std::string, std::string> broker_env_for_tests(const std::string& name);
// nullptr when the backend cannot be started here (the test then fails).
std::unique_ptr<broker_backend> make_broker_backend(const std::string& name,
                                                    const broker_backend_options& options);

}  // namespace sluice::testing
