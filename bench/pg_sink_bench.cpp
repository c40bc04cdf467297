// The sink half of bench/pg_sink.sh: writes N rows into a users-shaped table
// through store::write (make_postgres_store), in batches like a subscriber's,
// and prints rows/s. With --migrate-only it just creates the table (the
// pgbench half inserts into a second table created the same way, so both
// measure the identical schema).
//
//   sluice_pg_sink_bench URL TABLE ROWS BATCH [--migrate-only]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "store/postgres/postgres_store.hpp"

using namespace sluice;

namespace {

config::resource_def users() {
  config::resource_def r;
  r.name = "users";
  config::field_def name{"name", config::field_type::string, true, 1, 200};
  config::field_def email{"email", config::field_type::email, true, std::nullopt, 320};
  email.indexed = true;
  r.fields = {name, email};
  return r;
}

std::string uuid(std::mt19937_64& rng) {
  char buf[40];
  auto a = rng(), b = rng();
  std::snprintf(buf, sizeof buf, "%08x-%04x-7%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                static_cast<unsigned>(b >> 48) & 0xfff,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s URL TABLE ROWS BATCH [--migrate-only]\n", argv[0]);
    return 2;
  }
  store::postgres_store_options o;
  o.url = argv[1];
  const std::string table = argv[2];
  const long rows = std::atol(argv[3]);
  const long batch_size = std::max(1L, std::atol(argv[4]));
  const bool migrate_only = argc > 5 && std::string(argv[5]) == "--migrate-only";

  auto s = store::make_postgres_store(o);
  if (!s) {
    std::fprintf(stderr, "store: %s\n", s.message().c_str());
    return 1;
  }
  auto def = users();
  std::vector<store::table_def> tables = {{table, &def}};
  if (auto ec = (*s)->migrate(tables)) {
    std::fprintf(stderr, "migrate: %s\n", ec.message().c_str());
    return 1;
  }
  if (migrate_only) return 0;

  // Batches are prepared before timing: what is measured is the store.
  std::mt19937_64 rng(42);
  std::vector<store::batch> batches;
  for (long done = 0; done < rows; done += batch_size) {
    store::batch b{table, table, "users", {}, {}};
    for (long i = done; i < std::min(rows, done + batch_size); ++i) {
      store::row_write w;
      w.message_id = uuid(rng);
      w.accepted_at_us = 1'790'000'000'000'000 + i;
      std::string n = "user-" + std::to_string(i);
      w.values.values = {n, n + "@example.com"};
      w.body = R"({"name":")" + n + R"(","email":")" + n + R"(@example.com"})";
      b.rows.push_back(std::move(w));
    }
    batches.push_back(std::move(b));
  }
  auto start = std::chrono::steady_clock::now();
  long stored = 0;
  for (const auto& b : batches) {
    auto r = (*s)->write(b);
    if (!r) {
      std::fprintf(stderr, "write: %s\n", r.error().message().c_str());
      return 1;
    }
    for (const auto& row : r->rows) stored += row.result == store::outcome::stored ? 1 : 0;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sink rows=%ld stored=%ld seconds=%.3f rows_per_s=%.0f\n", rows, stored, secs,
              static_cast<double>(rows) / secs);
  return stored == rows ? 0 : 1;
}
