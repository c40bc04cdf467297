#pragma once
// What every fault drill shares (issue 15): the real binary on a fixed
// loopback port (it restarts on the same one), the ledger load, the check
// that the contract held, and the drill's row in bench/results/faults.md.
//
// Each drill is a gtest case. Under `make test` (label `fault`) the short
// version runs; `make faults` sets SLUICE_FAULTS_FULL=1 for the full one
// (×10 kills, the 60 s outage, …) and SLUICE_FAULTS_RESULTS to the table
// the rows go to. A row's verdict is its case's gtest result (row_writer).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "support/fixtures.hpp"
#include "support/ledger.hpp"
#include "support/server_process.hpp"
#include "support/sluice_process.hpp"

namespace sluice::testing::drill {

using namespace std::chrono_literals;

// The env of a drill's Sluice processes: listen on `port`, no access log, a
// short visibility timeout (leases of a killed process come back soon).
inline std::map<std::string, std::string> base_env(int port) {
  return {{"SLUICE_HTTP_LISTEN", "127.0.0.1:" + std::to_string(port)},
          {"SLUICE_LOG_ACCESS_LOG", "false"},
          {"SLUICE_BROKER_VISIBILITY_TIMEOUT_MS", "1000"},
          {"SLUICE_PIPELINE_RETRY_MAX_MS", "500"}};
}

inline std::string ms(double v) {
  return std::to_string(static_cast<long>(v)) + " ms";
}

// Window and recovery over several faults: "n × avg (max)".
struct fault_times {
  int faults = 0;
  double window_total = 0, window_max = 0, recovery_total = 0, recovery_max = 0;
  void add(double window, double recovery) {
    ++faults;
    window_total += window;
    window_max = std::max(window_max, window);
    recovery_total += recovery;
    recovery_max = std::max(recovery_max, recovery);
  }
  std::string window() const { return text(window_total, window_max); }
  std::string recovery() const { return text(recovery_total, recovery_max); }

 private:
  std::string text(double total, double max) const {
    if (faults == 0) return "-";
    if (faults == 1) return ms(total);
    return std::to_string(faults) + " × " + ms(total / faults) + " (max " + ms(max) + ")";
  }
};

// Keeps the ledger next to the results when make faults asks for it.
inline void keep_ledger(const ledger& l, const std::string& name) {
  if (const char* dir = std::getenv("SLUICE_FAULTS_LEDGERS"); dir != nullptr && *dir != '\0') {
    l.write(std::filesystem::path(dir) / (name + ".ndjson"));
  }
}

// A drill's row, measured by finish() and written when its gtest case ends.
struct pending_row {
  std::string drill, backend;
  ledger_report report;
  std::string window, recovery, note;
};
inline std::optional<pending_row>& pending() {
  static std::optional<pending_row> row;
  return row;
}

// The verdict column is the drill's gtest result, and nothing else: "pass"
// only when every check of the case held — the ledger's contract (finish()
// below) and whatever goal the drill asserts before or after it (drill 8's
// P99 ratio, a clean exit, …). A row cannot say "pass" next to a failed
// goal. Installed by faults/drill_main.cpp, the drills' main().
class row_writer : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    auto& row = pending();
    if (!row) return;
    record_drill_row(row->drill, row->backend, row->report, row->window, row->recovery, row->note,
                     info.result() != nullptr && info.result()->Passed());
    row.reset();
  }
};

// The end of every drill: verify, keep the row for row_writer, assert the contract.
inline ledger_report finish(ledger& l, int port, const std::string& drill,
                            const std::string& backend, const std::string& window,
                            const std::string& recovery, const std::string& note = {},
                            std::chrono::milliseconds settle = std::chrono::seconds(90)) {
  auto r = l.verify(port, settle);
  keep_ledger(l, drill + "-" + backend);
  pending() = pending_row{drill, backend, r, window, recovery, note};
  std::fprintf(stderr, "[drill] %s %s: %s\n", drill.c_str(), backend.c_str(), r.summary().c_str());
  EXPECT_TRUE(r.settled) << r.summary();
  EXPECT_EQ(r.lost, 0u) << r.summary();
  EXPECT_EQ(r.doubled, 0u) << r.summary();
  EXPECT_EQ(r.phantom, 0u) << r.summary();
  EXPECT_GT(r.accepted, 0u) << r.summary();
  return r;
}

}  // namespace sluice::testing::drill
