#pragma once
// The PostgreSQL store (PostgreSQL 15; Aurora-compatible SQL), on libpq.
//
// Threading decision: the store interface is blocking and Sluice only calls
// it from dedicated threads (the API's blocking pool, the subscriber threads),
// never from an io thread. So connections are owned by those threads: a
// bounded pool (`pool_size`) hands one connection to one call at a time, and
// no Asio integration is needed. Each connection runs libpq in non-blocking
// mode internally so that every wait is bounded (statement_timeout on the
// server, a deadline on the client) and pipelines never deadlock.
//
// Writes: one transaction per batch in one round trip (libpq pipeline mode,
// a multi-row INSERT … ON CONFLICT (message_id) DO NOTHING from array
// parameters, prepared once per connection). Rows the database refuses are
// dead-lettered one by one in the same transaction (see pg_writer.hpp).
// Reads: prepared statements, keyset pages, JSON built by PostgreSQL in the
// exact bytes the SQLite store produces.
//
// Outages: a call that cannot reach the server returns errc::unavailable
// quickly; reconnects happen on later calls, gated by a capped exponential
// backoff with jitter (see pg_pool.hpp).
//
// Secrets: `password` (when not empty) is handed to libpq and never logged;
// otherwise libpq's own sources apply (PGPASSWORD, PGPASSFILE, ~/.pgpass).
// Thread safety: all methods may be called concurrently.

#include <chrono>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace sluice::store {

struct postgres_store_options {
  std::string url;       // postgres://user@host:port/db?sslmode=… (any libpq URL or conninfo)
  std::string password;  // empty: let libpq find it
  unsigned pool_size = 4;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
  std::string application_name = "sluice";
};

// Checks the URL (it is not connected to yet: the first call, usually
// migrate(), does). errc::unavailable when unusable, with libpq's words as the
// result's message().
result<std::unique_ptr<store>> make_postgres_store(const postgres_store_options& options);

}  // namespace sluice::store
