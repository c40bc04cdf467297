// Drills 7 and 11 (issue 15).
//  7. Poison records: the table was made by a narrower schema (names ≤ 100
//     characters, a CHECK in the table) than the one the API now validates
//     with (≤ 200), so the store refuses records the API accepted. Each is
//     dead-lettered with the store's reason, in the same transaction as the
//     rest of its batch, and never blocks the messages behind it. SQLite and
//     PostgreSQL.
//  11. Redelivery storm: PostgreSQL made slow (a statement trigger sleeping
//     1.5 s per insert) behind a visibility timeout of 1 s, so messages come
//     back while their first delivery is still committing and a second
//     consumer (`sluice worker` beside `sluice serve`) takes them: one row
//     each (unique message ids, insert-or-ignore).

#include "faults/drill.hpp"
#if SLUICE_WITH_POSTGRES
#include "support/postgres_server.hpp"
#endif

namespace sluice::testing::drill {
namespace {

std::string narrow_config(const temp_dir& dir) {
  std::ifstream in(default_config());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string wide = "max_length = 200";
  text.replace(text.find(wide), wide.size(), "max_length = 100");
  return dir.write("narrow.toml", text).string();
}

void poison_drill(const std::string& backend, std::map<std::string, std::string> extra,
                  const std::function<std::int64_t()>& dead_letters) {
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  for (auto& [k, v] : extra) env[k] = v;
  {
    // The table, made under the narrow schema.
    sluice_process first("serve", narrow_config(dir), dir.path(), env);
    ASSERT_TRUE(first.start()) << first.log();
    ASSERT_EQ(first.stop(), 0) << first.log();
  }
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "pz";
  o.poison_every = 50;
  o.poison_name_length = 150;
  if (!full_drills()) o.pause = 5ms;
  ledger l(o);
  l.start();
  EXPECT_TRUE(l.wait_successes(0, full_drills() ? 2000 : 300, 120s)) << p.log();
  l.stop();
  auto r = finish(l, port, "7 poison (store CHECK narrower than the API)", backend, "-", "-",
                  "poison dead-lettered, others stored");
  EXPECT_GT(r.poison_accepted, 0u);
  EXPECT_EQ(r.poison_stored, 0u) << r.summary();
  EXPECT_EQ(r.dead_lettered, r.poison_accepted) << r.summary();
  EXPECT_EQ(dead_letters(), static_cast<std::int64_t>(r.poison_accepted));
  // The reason is the store's.
  http_client c(port);
  for (const auto& e : l.entries()) {
    if (e.outcome != request_outcome::accepted) continue;
    for (std::size_t i = 0; i < e.keys.size() && i < e.ids.size(); ++i) {
      if (e.keys[i].find("-p@") == std::string::npos) continue;
      auto st = c.get("/v1/messages/" + e.ids[i]);
      EXPECT_NE(st.body.find("rejected by the store"), std::string::npos) << st.body;
      EXPECT_EQ(p.stop(), 0) << p.log();
      return;
    }
  }
  ADD_FAILURE() << "no accepted poison record";
}

TEST(drill_poison, store_refusals_are_dead_lettered_and_block_nothing_sqlite) {
  temp_dir dbdir;
  const auto db = dbdir.path() / "sluice.db";
  poison_drill("sqlite/sqlite", {{"SLUICE_STORE_URL", "sqlite://" + db.string()}},
               [db] { return sqlite_int(db, "SELECT count(*) FROM sluice_dead_letters"); });
}

#if SLUICE_WITH_POSTGRES
TEST(drill_poison, store_refusals_are_dead_lettered_and_block_nothing_postgres) {
  auto* pg = postgres_server::shared();
  ASSERT_NE(pg, nullptr);
  const std::string url = pg->create_database();
  ASSERT_FALSE(url.empty());
  poison_drill("sqlite/postgres", {{"SLUICE_STORE_URL", url}}, [url] {
    return postgres_server::query_int(url, "SELECT count(*) FROM sluice_dead_letters");
  });
}

TEST(drill_storm, visibility_timeout_shorter_than_the_commit_makes_one_row_each) {
  if (!full_drills()) GTEST_SKIP() << "make faults only";
  auto* pg = postgres_server::shared();
  ASSERT_NE(pg, nullptr);
  const std::string url = pg->create_database();
  ASSERT_FALSE(url.empty());
  temp_dir dir;
  const int port = free_port();
  auto env = base_env(port);
  env["SLUICE_STORE_URL"] = url;
  env["SLUICE_BROKER_VISIBILITY_TIMEOUT_MS"] = "1000";
  env["SLUICE_BROKER_MAX_DELIVERIES"] = "1000";  // the storm must not dead-letter
  env["SLUICE_PIPELINE_BATCH_SIZE"] = "100";
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  // A second consumer of the queue: it takes the messages whose lease ran
  // out while the first is still committing them (and vice versa).
  auto worker_env = env;
  worker_env["SLUICE_HTTP_LISTEN"] = "127.0.0.1:0";
  sluice_process worker("worker", default_config(), dir.path(), worker_env);
  ASSERT_TRUE(worker.start()) << worker.log();
  // Every insert statement (one per batch) now takes 1.5 s.
  ASSERT_EQ(postgres_server::query_int(
                url,
                "CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$; "
                "CREATE TRIGGER slow BEFORE INSERT ON users FOR EACH STATEMENT "
                "EXECUTE FUNCTION slow_insert(); SELECT 1"),
            1);
  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "rs";
  o.pause = 50ms;
  ledger l(o);
  l.start();
  std::this_thread::sleep_for(full_drills() ? 20s : 6s);
  l.stop();
  const double stopped = l.now_ms();
  // The storm is over once the trigger goes: the backlog drains.
  ASSERT_EQ(postgres_server::query_int(url, "DROP TRIGGER slow ON users; SELECT 1"), 1);
  http_client c(port);
  auto delivered_twice = [&c] {
    const auto m = c.get("/metrics").body;
    const std::string series =
        "sluice_deliveries_total{subscription=\"users\",outcome=\"duplicate\"} ";
    const auto at = m.find(series);
    return at == std::string::npos
               ? std::string("0")
               : m.substr(at + series.size(), m.find('\n', at) - at - series.size());
  };
  finish(l, port, "11 redelivery storm (commit 1.5 s > visibility 1 s)", "sqlite/postgres",
         ms(stopped), "-", "2 consumers; duplicates absorbed by serve: " + delivered_twice(), 120s);
  EXPECT_EQ(
      postgres_server::query_int(url, "SELECT count(*) - count(DISTINCT message_id) FROM users"),
      0);
  EXPECT_EQ(postgres_server::query_int(url, "SELECT count(*) FROM sluice_dead_letters"), 0);
  std::fprintf(stderr, "[drill] redeliveries that found their row: %s\n",
               delivered_twice().c_str());
  EXPECT_EQ(p.stop(), 0) << p.log();
}
#endif

}  // namespace
}  // namespace sluice::testing::drill
