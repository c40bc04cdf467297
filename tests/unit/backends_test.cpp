// Issue 10 #2: every backend factory returns result<std::unique_ptr<T>>, and
// when it cannot open its backend the result's message() carries the
// library's own words, which start-up (app/backends.cpp) shows. No server is
// needed: the targets are files SQLite cannot open and URLs the networked
// backends' libraries refuse (those backends connect after the factory).

#include "app/backends.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "broker/nats/nats_broker.hpp"
#include "broker/rabbitmq/rabbitmq_broker.hpp"
#include "broker/redis/redis_broker.hpp"
#include "broker/sqlite/sqlite_broker.hpp"
#include "cache/redis/redis_pages.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace sluice {
namespace {

// gtest without gmock: "text" contains "part", shown whole when it does not.
::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' lacks '" << part << "'";
}

const std::string k_missing_dir = "/nonexistent-dir-for-sluice/sub";

// A directory that exists: SQLite cannot open it as a database, and start-up
// has nothing to create for it.
class a_directory {
 public:
  a_directory()
      : path_(std::filesystem::temp_directory_path() /
              ("sluice-backends-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~a_directory() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// The message a start-up failure shows.
template <class F>
std::string thrown_by(F open) {
  try {
    open();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

TEST(backend_factories, sqlite_broker_says_sqlites_words_and_the_path) {
  const auto path = k_missing_dir + "/queue.db";
  auto b = broker::make_sqlite_broker({.path = path});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), broker::errc::unavailable);  // the interface's code
  EXPECT_TRUE(contains(b.message(), "unable to open database file"));
  EXPECT_TRUE(contains(b.message(), path));
}

TEST(backend_factories, sqlite_store_says_sqlites_words_and_the_path) {
  const auto path = k_missing_dir + "/store.db";
  auto s = store::make_sqlite_store({.path = path, .readers = 1});
  ASSERT_FALSE(s);
  EXPECT_TRUE(contains(s.message(), "unable to open database file"));
  EXPECT_TRUE(contains(s.message(), path));
}

TEST(backend_factories, start_up_names_the_role_and_sqlites_words) {
  a_directory dir;
  config::config cfg;
  cfg.store.url = "sqlite://" + dir.path();
  cfg.broker.url = "sqlite://" + dir.path();
  EXPECT_EQ(thrown_by([&] { app::open_store(cfg); }),
            "store: unable to open database file (" + dir.path() + ")");
  EXPECT_EQ(thrown_by([&] { app::open_broker(cfg); }),
            "broker: unable to open database file (" + dir.path() + ")");
}

#if SLUICE_WITH_POSTGRES
TEST(backend_factories, postgres_store_says_libpqs_words) {
  auto s = store::make_postgres_store({.url = "postgres://127.0.0.1:1/db?no_such_key=1"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), store::errc::unavailable);
  EXPECT_TRUE(contains(s.message(), "invalid URI query parameter"));  // libpq's
  EXPECT_TRUE(contains(s.message(), "no_such_key"));

  config::config cfg;
  cfg.store.url = "postgres://127.0.0.1:1/db?no_such_key=1";
  EXPECT_TRUE(contains(thrown_by([&] { app::open_store(cfg); }),
                       "store.url: unusable URL (invalid URI query parameter"));
}
#endif

#if SLUICE_WITH_RABBITMQ
TEST(backend_factories, rabbitmq_broker_says_librabbitmqs_words) {
  auto b = broker::make_rabbitmq_broker({.url = "amqp://127.0.0.1:notaport/"});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), broker::errc::unavailable);
  EXPECT_TRUE(contains(b.message(), "could not parse AMQP URL"));  // amqp_error_string2

  config::config cfg;
  cfg.broker.url = "amqp://127.0.0.1:notaport/";
  EXPECT_TRUE(contains(thrown_by([&] { app::open_broker(cfg); }),
                       "broker.url: unusable URL (could not parse AMQP URL"));
}
#endif

#if SLUICE_WITH_NATS
TEST(backend_factories, nats_broker_says_the_nats_clients_words) {
  auto b = broker::make_nats_broker({.url = "nats://127.0.0.1:notaport"});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), broker::errc::unavailable);
  EXPECT_NE(b.message(), b.error().message()) << b.message();     // more than the code says
  EXPECT_TRUE(contains(b.message(), "invalid port 'notaport'"));  // the NATS client's

  config::config cfg;
  cfg.broker.url = "nats://127.0.0.1:notaport";
  EXPECT_TRUE(contains(thrown_by([&] { app::open_broker(cfg); }),
                       "broker.url: unusable URL (invalid port 'notaport')"));
}
#endif

#if SLUICE_WITH_REDIS
// hiredis parses no URLs: the shared parser (src/redis/url.hpp) says what it takes.
TEST(backend_factories, redis_broker_and_cache_say_what_url_they_take) {
  auto b = broker::make_redis_broker({.url = "redis://127.0.0.1:notaport"});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), broker::errc::unavailable);
  EXPECT_TRUE(contains(b.message(), "redis://[user:password@]host[:port][/db]"));

  auto pages = cache::make_redis_pages({.url = "redis://127.0.0.1:notaport"});
  ASSERT_FALSE(pages);
  EXPECT_TRUE(contains(pages.message(), "redis://[user:password@]host[:port][/db]"));

  config::config cfg;
  cfg.cache.url = "redis://127.0.0.1:notaport";
  cfg.cache.enabled = true;
  EXPECT_TRUE(contains(thrown_by([&] { app::open_shared_pages(cfg); }),
                       "cache.url: unusable URL (not a valid redis://"));
}
#endif

}  // namespace
}  // namespace sluice
