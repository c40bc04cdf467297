#pragma once
// The embedded store: SQLite in WAL mode. One writer connection (writes are
// serialised by SQLite anyway), a small pool of reader connections so reads
// run beside writes.

#include <memory>
#include <string>

#include "store/store.hpp"

namespace sluice::store {

struct sqlite_store_options {
  std::string path;
  unsigned readers = 2;
};

// Opens (creating if needed) the database. Fails with SQLite's error
// (sluice::sqlite::sqlite_category(), the extended result code); the result's
// message() is SQLite's words and the path, e.g.
// "unable to open database file (/x/sluice.db)".
result<std::unique_ptr<store>> make_sqlite_store(const sqlite_store_options& options);

}  // namespace sluice::store
