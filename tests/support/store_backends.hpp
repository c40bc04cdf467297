#pragma once
// Store backends for the contract suite: each gives a fresh, empty store.
// Servers a backend needs are started once per test binary.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace sluice::testing {

class store_backend {
 public:
  virtual ~store_backend() = default;
  virtual store::store& get() = 0;
  // One integer from `sql` run on the store's database directly (-1 on any
  // failure): for checks the store interface does not offer.
  virtual std::int64_t query_int(const std::string& sql) = 0;
  // The query plan of `sql` (SQLite: EXPLAIN QUERY PLAN's details,
  // PostgreSQL: EXPLAIN's lines), one line each; "" on failure.
  virtual std::string explain(const std::string& sql) = 0;
  // Runs `sql` (statements without results, e.g. ANALYZE) on the store's
  // database directly; false on any failure.
  virtual bool exec(const std::string& sql) = 0;
};

std::vector<std::string> store_backend_names();
// nullptr when the backend cannot be started here.
std::unique_ptr<store_backend> make_store_backend(const std::string& name);

}  // namespace sluice::testing
