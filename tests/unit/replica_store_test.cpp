// store.read_url's routing (store/replica_store.hpp): a page comes from the
// replica only when the replica has replayed the version the query needs,
// everything else from the primary, and a failing replica falls back.
#include "store/replica_store.hpp"

#include <gtest/gtest.h>

namespace sluice::store {
namespace {

struct fake_store : store {
  std::string name;
  std::int64_t ver = 0;
  bool failing = false;
  int queries = 0, gets = 0, writes = 0, versions = 0;
  explicit fake_store(std::string n) : name(std::move(n)) {}
  std::error_code migrate(std::span<const table_def>) override { return {}; }
  std::error_code attach(std::span<const table_def>) override { return {}; }
  result<batch_result> write(const batch&) override {
    ++writes;
    return batch_result{};
  }
  result<page> query(std::string_view, const page_query&) override {
    ++queries;
    if (failing) return errc::unavailable;
    page p;
    p.json = name;
    return p;
  }
  result<row_count> count(std::string_view, const page_query&, count_mode, std::uint64_t) override {
    if (failing) return errc::unavailable;
    return row_count{name == "primary" ? 1u : 2u, 0, true};  // who answered
  }
  result<std::optional<std::string>> get(std::string_view, std::int64_t) override {
    ++gets;
    return std::optional<std::string>(name);
  }
  result<message_status> status(std::string_view) override { return message_status{}; }
  std::error_code ping() override { return {}; }
  result<std::int64_t> version(std::string_view) override {
    ++versions;
    if (failing) return errc::unavailable;
    return ver;
  }
};

struct routing : ::testing::Test {
  fake_store* primary = nullptr;
  fake_store* replica = nullptr;
  std::unique_ptr<replica_routing_store> s;
  void SetUp() override {
    auto p = std::make_unique<fake_store>("primary");
    auto r = std::make_unique<fake_store>("replica");
    primary = p.get();
    replica = r.get();
    s = std::make_unique<replica_routing_store>(std::move(p), std::move(r));
  }
  std::string page_at(std::int64_t min_version) {
    page_query q;
    q.min_version = min_version;
    auto p = s->query("users", q);
    return p ? p->json : "error";
  }
};

// Counts follow the page: the replica once it has replayed the version.
TEST_F(routing, counts_are_routed_as_pages) {
  auto counted_by = [&](std::int64_t min_version) {
    page_query q;
    q.min_version = min_version;
    auto c = s->count("users", q, count_mode::exact, 0);
    return c ? c->total : 0u;
  };
  primary->ver = 10;
  replica->ver = 9;
  EXPECT_EQ(counted_by(9), 2u);
  EXPECT_EQ(counted_by(10), 1u);
  replica->ver = 10;
  replica->failing = true;  // its version read fails too: the primary
  EXPECT_EQ(counted_by(10), 1u);
}

TEST_F(routing, a_replica_that_has_replayed_the_version_serves_the_page) {
  primary->ver = 10;
  replica->ver = 10;
  EXPECT_EQ(page_at(10), "replica");
  EXPECT_EQ(page_at(0), "replica");
  EXPECT_EQ(s->stats().replica_pages, 2u);
}

TEST_F(routing, a_replica_behind_the_version_never_serves_it) {
  replica->ver = 9;
  EXPECT_EQ(page_at(10), "primary");
  EXPECT_EQ(replica->queries, 0);
  EXPECT_EQ(s->stats().primary_pages, 1u);
}

TEST_F(routing, a_failing_replica_falls_back_to_the_primary) {
  replica->ver = 100;
  replica->failing = true;
  EXPECT_EQ(page_at(1), "primary");
}

TEST_F(routing, rows_writes_and_versions_go_to_the_primary) {
  primary->ver = 7;
  replica->ver = 3;
  EXPECT_EQ(s->version("users").value(), 7);
  EXPECT_EQ(**s->get("users", 1), "primary");
  ASSERT_TRUE(s->write(batch{}));
  EXPECT_EQ(primary->writes, 1);
  EXPECT_EQ(replica->writes + replica->gets, 0);
}

}  // namespace
}  // namespace sluice::store
