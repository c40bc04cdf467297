#pragma once
// A small RAII layer over libpq for the PostgreSQL store: one connection in
// non-blocking mode, a per-connection cache of prepared statements, and
// bounded waits (every call has a deadline, so a server that stops answering
// turns into an error instead of a hung thread). Private to src/store/postgres/.
//
// Thread safety: none. A connection is used by one thread at a time (the pool
// hands it out to one caller).

#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::store::pg {

using clock = std::chrono::steady_clock;

struct conn_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct result_deleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

// Text parameters for one statement; nullopt-like NULLs are kept as a flag so
// that the pointers handed to libpq stay valid while the vector lives.
class params {
 public:
  void add(std::string v) { values_.push_back(std::move(v)), nulls_.push_back(false); }
  void add_null() { values_.emplace_back(), nulls_.push_back(true); }
  int size() const { return static_cast<int>(values_.size()); }
  // Pointers for PQsendQueryPrepared; valid until the next add().
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
};

// The SQLSTATE of a failed result ("" when there is none, e.g. a lost connection).
std::string_view sqlstate(const PGresult* r);
// The primary error message of a failed result, or the connection's.
std::string error_message(const PGresult* r, const PGconn* c);
bool ok(const PGresult* r);  // COMMAND_OK or TUPLES_OK

class connection {
 public:
  // Connects with libpq keywords/values (blocking, bounded by connect_timeout
  // among the keywords). nullptr with `error` set on failure.
  static std::unique_ptr<connection> open(const std::vector<std::string>& keys,
                                          const std::vector<std::string>& values,
                                          std::string& error);

  bool broken() const { return PQstatus(c_.get()) != CONNECTION_OK; }
  // Broken, or left in an unknown state by a timeout: not to be reused.
  bool failed() const { return failed_ || broken(); }
  // Marks the connection unusable (e.g. left mid-pipeline by an error path):
  // the pool closes it instead of reusing it.
  void discard() { failed_ = true; }
  // The last preparation error (for logs and dead-letter reasons).
  const std::string& last_error() const { return last_error_; }
  bool idle() const { return PQtransactionStatus(c_.get()) == PQTRANS_IDLE; }
  PGconn* raw() const { return c_.get(); }

  // The name of `sql` prepared on this connection, preparing it first (one
  // round trip) when needed. Empty on failure. REQUIRES: not in pipeline mode.
  // The cache is bounded (statement_cache_capacity): past it, the least
  // recently used statement is evicted alone (DEALLOCATE name), never all of
  // them, so names the caller got just before (e.g. the writer's insert and
  // dead-letter statements, prepared before its pipeline) stay valid.
  std::string prepare(const std::string& sql, clock::time_point deadline);
  // For tests: a small capacity makes eviction reachable. At least 1.
  void set_statement_cache_capacity(std::size_t n) { capacity_ = n < 1 ? 1 : n; }
  std::size_t cached_statements() const { return prepared_.size(); }

  // Runs one statement and waits for its result (nullptr if the connection
  // failed or the deadline passed). REQUIRES: not in pipeline mode.
  result_ptr exec(const std::string& sql, clock::time_point deadline);
  result_ptr exec_prepared(const std::string& sql, const params& p, clock::time_point deadline);

  // Pipeline mode: queue statements, then sync, then read results in order.
  bool enter_pipeline() { return PQenterPipelineMode(c_.get()) == 1; }
  bool exit_pipeline() { return PQexitPipelineMode(c_.get()) == 1; }
  bool send_prepared(const std::string& name, const params& p);
  bool send(const char* sql) {
    return PQsendQueryParams(c_.get(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  }
  bool sync() { return PQpipelineSync(c_.get()) == 1; }
  // The next result of the current query; nullptr marks the end of one
  // query's results — or a failure, which failed() tells.
  result_ptr next(clock::time_point deadline);
  // Reads results up to and including the next PGRES_PIPELINE_SYNC; false on
  // failure. Used to drain what is left after an error in the pipeline.
  bool drain_to_sync(clock::time_point deadline);

 private:
  explicit connection(PGconn* c) : c_(c) {}
  // Sends buffered output and waits for input until libpq can hand over a
  // result without blocking; false on failure or timeout.
  bool pump(clock::time_point deadline);
  bool fail() {
    failed_ = true;
    return false;
  }

  std::unique_ptr<PGconn, conn_deleter> c_;
  struct cached {
    std::string name;
    std::list<std::string>::iterator use;  // position in lru_
  };
  std::unordered_map<std::string, cached> prepared_;  // sql -> statement
  std::list<std::string> lru_;                         // sql, most recent first
  std::size_t capacity_ = 256;
  std::uint64_t next_name_ = 0;
  bool failed_ = false;
  std::string last_error_;
};

}  // namespace sluice::store::pg
