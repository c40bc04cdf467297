#include "support/store_backends.hpp"

#include <sqlite3.h>

#include "sqlite/database.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/sluice_process.hpp"
#ifdef SLUICE_WITH_POSTGRES
#include "store/postgres/pg_conn.hpp"
#include "store/postgres/postgres_store.hpp"
#include "support/postgres_server.hpp"
#endif

namespace sluice::testing {
namespace {

class sqlite_backend final : public store_backend {
 public:
  bool open() {
    auto s = store::make_sqlite_store({(dir_.path() / "store.db").string(), 2});
    if (!s) return false;
    store_ = std::move(*s);
    return true;
  }
  store::store& get() override { return *store_; }
  std::int64_t query_int(const std::string& sql) override {
    return sqlite_int(dir_.path() / "store.db", sql);
  }
  std::string explain(const std::string& sql) override {
    auto c = sluice::sqlite::connection::open((dir_.path() / "store.db").string(), {});
    if (!c || store::sqlite::define_functions(*c)) return {};  // row objects use sluice_number
    auto s = c->prepare("EXPLAIN QUERY PLAN " + sql);
    if (!s) return {};
    std::string out;
    for (int guard = 0; guard < 1000; ++guard) {
      auto row = s->step();
      if (!row || !*row) break;
      out += s->text_at(3) + "\n";
    }
    return out;
  }
  bool exec(const std::string& sql) override {
    sqlite3* db = nullptr;
    bool ok = sqlite3_open((dir_.path() / "store.db").c_str(), &db) == SQLITE_OK &&
              sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
  }

 private:
  temp_dir dir_;
  std::unique_ptr<store::store> store_;
};

#ifdef SLUICE_WITH_POSTGRES
// A fresh database on the binary's shared PostgreSQL.
class postgres_backend final : public store_backend {
 public:
  bool open() {
    auto* server = postgres_server::shared();
    if (server == nullptr) return false;
    std::string url = server->create_database();
    if (url.empty()) return false;
    auto s = store::make_postgres_store({url, "", 4});
    if (!s) return false;
    store_ = std::move(*s);
    url_ = url;
    return true;
  }
  store::store& get() override { return *store_; }
  std::int64_t query_int(const std::string& sql) override {
    return postgres_server::query_int(url_, sql);
  }
  std::string explain(const std::string& sql) override {
    std::string error;
    auto c = store::pg::connection::open({"dbname"}, {url_}, error);
    if (!c) return {};
    auto r = c->exec("EXPLAIN " + sql, store::pg::clock::now() + std::chrono::seconds(10));
    if (!store::pg::ok(r.get())) return {};
    std::string out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out += std::string(PQgetvalue(r.get(), i, 0)) + "\n";
    return out;
  }
  bool exec(const std::string& sql) override {
    return postgres_server::query_int(url_, sql + "; SELECT 1") == 1;
  }

 private:
  std::string url_;
  std::unique_ptr<store::store> store_;
};
#endif

}  // namespace

std::vector<std::string> store_backend_names() {
#ifdef SLUICE_WITH_POSTGRES
  return {"sqlite", "postgres"};
#else
  return {"sqlite"};
#endif
}

std::unique_ptr<store_backend> make_store_backend(const std::string& name) {
  if (name == "sqlite") {
    auto b = std::make_unique<sqlite_backend>();
    if (b->open()) return b;
  }
#ifdef SLUICE_WITH_POSTGRES
  if (name == "postgres") {
    auto b = std::make_unique<postgres_backend>();
    if (b->open()) return b;
  }
#endif
  return nullptr;
}

}  // namespace sluice::testing
