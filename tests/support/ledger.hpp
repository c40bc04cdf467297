#pragma once
// The fault drills' checker (issue 15): a load client that keeps a ledger of
// every request it sent and what came back, and a verifier that reads the
// store back through the API once the fault is over and says, record by
// record, whether the contract held.
//
// Load: `connections` threads, each with its own keep-alive connection (no
// retries, ever: a request whose answer did not arrive is recorded as such),
// posting alternately one record and an array of `array_size` records. Every
// record carries a unique key (its email: <tag>-<conn>-<seq>-<n>@ledger.test),
// so a row tells which request it came from.
//
// Outcome of each request:
//   accepted     202/201 with ids: each record must end as one row or one dead letter
//   refused      4xx (client's fault), or no connection (nothing was sent): no row
//   unavailable  503 (or another 5xx) with Retry-After and not "outcome unknown":
//                nothing accepted: no row
//   indeterminate  a 5xx saying "outcome unknown", any 5xx without Retry-After, a
//                client timeout or a connection broken after sending: 0 or 1 row
//                per record, never 2
//
// Thread safety: start()/stop()/verify() from one thread; the counters may
// be read from any thread while the load runs.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testing {

struct ledger_options {
  int port = 0;  // fixed: processes restart on the same port
  std::string resource = "users";
  unsigned connections = 16;
  unsigned array_size = 20;  // every second request posts this many records
  std::chrono::milliseconds client_timeout{15'000};
  std::chrono::milliseconds pause{0};  // between two requests of one connection
  std::string tag = "l";               // makes keys unique across runs on one store
  // Every poison_every-th record (0: none) gets a name of poison_name_length
  // characters and a key ending "-p@ledger.test" (drill 7: records the
  // store refuses although the API accepted them).
  unsigned poison_every = 0;
  unsigned poison_name_length = 150;
  std::vector<std::pair<std::string, std::string>> headers;  // added to every POST
  // Added to the verifier's GETs (a credential when the API requires one).
  std::vector<std::pair<std::string, std::string>> verify_headers;
};

enum class request_outcome { accepted, refused, unavailable, indeterminate };

struct ledger_entry {
  unsigned connection = 0;
  std::uint64_t seq = 0;
  double start_ms = 0, end_ms = 0;  // since the load's start (steady clock)
  int status = 0;                   // 0: no answer
  bool sent = false;                // the request's bytes were all written
  bool timed_out = false;
  bool retry_after = false;
  bool outcome_unknown = false;   // 503 problem with "outcome":"unknown"
  std::vector<std::string> keys;  // the records' emails, in order
  std::vector<std::string> ids;   // message ids of a 202/201 (or of an unknown outcome)
  request_outcome outcome = request_outcome::refused;
};

// What the drill reports (bench/results/faults.md's columns).
struct ledger_report {
  std::uint64_t requests = 0, accepted = 0;  // accepted counts records
  std::uint64_t lost = 0, doubled = 0, phantom = 0;
  std::uint64_t indeterminate = 0;         // records of indeterminate requests
  std::uint64_t indeterminate_stored = 0;  // of which became one row
  std::uint64_t dead_lettered = 0;         // accepted records that are dead letters
  std::uint64_t poison_accepted = 0;       // accepted poison records (all must be dead letters)
  std::uint64_t poison_stored = 0;         // poison records that became rows (must be 0)
  std::uint64_t server_errors = 0, no_retry_after = 0;  // 5xx answers; those without Retry-After
  std::uint64_t refused = 0, unavailable = 0, timeouts = 0;  // requests
  double longest_gap_ms = 0;                                 // no successful request for this long
  bool settled = false;               // every accepted record reached an outcome
  std::vector<std::string> problems;  // the first few offending keys, for messages
  bool clean() const { return settled && lost == 0 && doubled == 0 && phantom == 0; }
  std::string summary() const;
};

class ledger {
 public:
  explicit ledger(ledger_options o);
  ~ledger();  // stops the load
  ledger(const ledger&) = delete;
  ledger& operator=(const ledger&) = delete;

  void start();
  void stop();
  // Successful (202/201) requests so far; waits (bounded) until `n` more than
  // `since` have succeeded. False on timeout.
  std::uint64_t successes() const { return successes_.load(); }
  bool wait_successes(std::uint64_t since, std::uint64_t n,
                      std::chrono::milliseconds limit = std::chrono::seconds(30)) const;
  // Milliseconds since the load started.
  double now_ms() const;

  // After stop(): reads every row of the resource through GET pages on
  // `port` until every accepted record has a row or a dead letter (status
  // lookups for the ones without a row), or `settle` passes; then checks.
  ledger_report verify(int port, std::chrono::milliseconds settle = std::chrono::seconds(60));
  // Writes one JSON object per request (what was sent, what came back).
  void write(const std::filesystem::path& file) const;
  const std::vector<ledger_entry>& entries() const { return entries_; }
  // The first success at or after `ms` (load time), or -1.
  double first_success_after(double ms) const;

 private:
  void run_connection(unsigned c);

  ledger_options opt_;
  std::chrono::steady_clock::time_point t0_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> successes_{0};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<ledger_entry> entries_;  // guarded by mu_ while running
};

// Appends one row to the drill results table named by SLUICE_FAULTS_RESULTS
// (no-op when unset): drill, backend, the report's columns, the fault window,
// the recovery time and the verdict, "pass" or "FAIL" as `passed` says (the
// drills pass their gtest case's result: faults/drill.hpp).
void record_drill_row(const std::string& drill, const std::string& backend, const ledger_report& r,
                      const std::string& fault_window, const std::string& recovery,
                      const std::string& note, bool passed);

// SLUICE_FAULTS_FULL=1 (make faults): the full drill (×10 kills, the 60 s
// outage, …); otherwise the short version that make test runs.
bool full_drills();

}  // namespace sluice::testing
