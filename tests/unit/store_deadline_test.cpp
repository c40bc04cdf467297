// Every store call made for a request has a client-side deadline (issue 11
// #25), and /readyz reflects a store that fails its calls (#22): the real
// handlers over the embedded SQLite store wrapped by faulty_store, whose
// stall holds chosen calls until the test lets them go. A stalled call must
// answer 503 + Retry-After at store.read_timeout_ms, not when the store
// answers. Tests assert statuses; waits are bounded (k_wait is reached only
// when a test is about to fail).

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/handlers.hpp"
#include "api/version_reader.hpp"
#include "auth/authenticator.hpp"
#include "broker/sqlite/sqlite_broker.hpp"
#include "observe/metrics.hpp"
#include "pipeline/ingest.hpp"
#include "store/health.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/faulty_store.hpp"

namespace sluice::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds k_deadline{200};
constexpr std::chrono::seconds k_wait{10};

config::resource_def users() {
  config::resource_def r;
  r.name = "users";
  r.fields = {{"name", config::field_type::string, true, 1, 50},
              {"email", config::field_type::email, true}};
  return r;
}

bool has_header(const http::response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return true;
  }
  return false;
}

class store_deadline : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-deadline-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = store::make_sqlite_store({dir_ + "/store.db", 2});
    ASSERT_TRUE(s) << s.error().message();
    auto faulty = std::make_unique<faulty_store>(std::move(*s));
    faulty_ = faulty.get();
    store_ = store::health_recording_store(std::move(faulty), health_);
    std::vector<store::table_def> tables{{"users", &users_}};
    ASSERT_FALSE(store_->migrate(tables));

    broker::sqlite_broker_options bo;
    bo.path = ":memory:";
    auto b = broker::make_sqlite_broker(bo);
    ASSERT_TRUE(b) << b.error().message();
    broker_ = std::move(*b);

    cfg_.store.read_timeout = k_deadline;
    cfg_.resources = {users_};
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    // Stalled calls hold pool threads: let them go before anything they use.
    for (auto op : {store_op::query, store_op::get, store_op::status, store_op::ping,
                    store_op::version, store_op::write}) {
      faulty_->unstall(op);
    }
    pool_.join();
    work_.reset();
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    ctx_.reset();
    ingest_.reset();
    broker_->close();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  api::context& ctx(bool cache) {
    pages_ = std::make_unique<cache::page_cache>(cache ? 1 << 20 : 0);
    readers_ = std::make_unique<api::version_reader>(*store_, pool_);
    ingest_ = std::make_unique<pipeline::ingest>(cfg_, *broker_, *store_, metrics_, pool_);
    ctx_ = std::make_unique<api::context>(api::context{cfg_, *ingest_, *store_, metrics_, pool_,
                                                       stopping_, *pages_, versions_, nullptr,
                                                       *readers_, health_, *auth_,
                                                       rate_limits_});
    return *ctx_;
  }

  // Runs a handler on the io thread; nullopt when it did not answer in k_wait.
  std::optional<http::response> answer(boost::asio::awaitable<http::response> a) {
    auto f = boost::asio::co_spawn(io_, std::move(a), boost::asio::use_future);
    if (f.wait_for(k_wait) != std::future_status::ready) return std::nullopt;
    return f.get();
  }

  void expect_store_deadline(const std::optional<http::response>& r) {
    ASSERT_TRUE(r) << "no answer within " << k_wait.count() << " s";
    EXPECT_EQ(r->status, 503u) << r->body;
    EXPECT_TRUE(has_header(*r, "Retry-After"));
    EXPECT_NE(r->body.find("the store did not answer within 200 ms"), std::string::npos) << r->body;
  }

  std::string dir_;
  config::resource_def users_ = users();
  config::config cfg_;
  store::health health_;
  faulty_store* faulty_ = nullptr;
  std::unique_ptr<store::store> store_;
  std::unique_ptr<broker::broker> broker_;
  observe::metrics metrics_{"test"};
  std::atomic<bool> stopping_{false};
  cache::version_clock versions_{0ms};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread io_thread_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<cache::page_cache> pages_;
  std::unique_ptr<api::version_reader> readers_;
  std::unique_ptr<pipeline::ingest> ingest_;
  std::unique_ptr<auth::authenticator> auth_ = auth::make_open_authenticator();
  auth::rate_limiter rate_limits_;
  std::unique_ptr<api::context> ctx_;
};

TEST_F(store_deadline, a_stalled_page_query_answers_503_at_the_deadline) {
  auto& c = ctx(false);
  http::request req{"GET", "/v1/users", {}, {}};
  faulty_->stall(store_op::query);
  expect_store_deadline(answer(api::list_rows(c, users_, req, "")));
  EXPECT_EQ(faulty_->stalled(store_op::query), 1u);  // still running in the background
  // The store answers again: so do GETs.
  faulty_->unstall(store_op::query);
  auto ok = answer(api::list_rows(c, users_, req, ""));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200u) << ok->body;
}

TEST_F(store_deadline, a_stalled_version_read_answers_503_at_the_deadline) {
  auto& c = ctx(true);  // the read cache asks the table's version first
  http::request req{"GET", "/v1/users", {}, {}};
  faulty_->stall(store_op::version);
  expect_store_deadline(answer(api::list_rows(c, users_, req, "")));
  EXPECT_EQ(faulty_->faults().calls(store_op::query), 0u);
}

TEST_F(store_deadline, a_stalled_row_or_status_lookup_answers_503_at_the_deadline) {
  auto& c = ctx(false);
  http::request req{"GET", "/v1/users/1", {}, {}};
  faulty_->stall(store_op::get);
  expect_store_deadline(answer(api::get_row(c, users_, req, "1")));
  faulty_->stall(store_op::status);
  expect_store_deadline(answer(api::message_status(c, "01900000-0000-7000-8000-000000000001")));
}

TEST_F(store_deadline, readyz_answers_503_when_the_ping_stalls) {
  auto& c = ctx(false);
  auto ready = answer(api::readyz(c));
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200u) << ready->body;
  faulty_->stall(store_op::ping);
  auto stalled = answer(api::readyz(c));
  ASSERT_TRUE(stalled) << "/readyz did not answer within " << k_wait.count() << " s";
  EXPECT_EQ(stalled->status, 503u) << stalled->body;
  EXPECT_TRUE(has_header(*stalled, "Retry-After"));
  EXPECT_NE(stalled->body.find("\"store\":\"down: did not answer within 200 ms\""),
            std::string::npos)
      << stalled->body;
  // The store answers again (the stalled ping too): ready again.
  faulty_->unstall(store_op::ping);
  auto back = answer(api::readyz(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200u) << back->body;
}

// Issue 11 #22: a store that answers its ping (SELECT 1) but fails every
// write is not ready, and says why; reads that succeed meanwhile do not hide
// it; one write that succeeds makes it ready again.
TEST_F(store_deadline, readyz_reflects_failing_writes_until_one_succeeds) {
  auto& c = ctx(false);
  store::batch b{"users", "users", "users", {}, {}};
  faulty_->faults().fail_next(store_op::write, store::errc::unavailable,
                              store::health::k_failures_to_trip);
  for (unsigned i = 0; i < store::health::k_failures_to_trip; ++i) {
    ASSERT_FALSE(store_->write(b));
  }
  http::request req{"GET", "/v1/users", {}, {}};
  auto page = answer(api::list_rows(c, users_, req, ""));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200u);
  auto ready = answer(api::readyz(c));
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503u) << ready->body;
  EXPECT_TRUE(has_header(*ready, "Retry-After"));
  EXPECT_NE(ready->body.find("\"store\":\"down: writes failing: store unavailable (2 in a row)\""),
            std::string::npos)
      << ready->body;
  ASSERT_TRUE(store_->write(b));
  auto back = answer(api::readyz(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200u) << back->body;
}

TEST(store_health, trips_after_consecutive_outages_per_side_and_ignores_refusals) {
  store::health h;
  using side = store::health::side;
  h.record(side::writes, store::errc::unavailable);
  EXPECT_FALSE(h.trouble());  // one failure is a blip
  h.record(side::reads, {});  // a read's success says nothing about writes
  h.record(side::writes, store::errc::timed_out);
  ASSERT_TRUE(h.trouble());
  EXPECT_EQ(*h.trouble(), "writes failing: store did not answer in time (2 in a row)");
  h.record(side::writes, {});
  EXPECT_FALSE(h.trouble());
  // Refusals are answers: a store that refuses queries is up.
  for (int i = 0; i < 5; ++i) h.record(side::reads, store::errc::bad_query);
  EXPECT_FALSE(h.trouble());
  h.record(side::reads, store::errc::unavailable);
  h.record(side::reads, std::make_error_code(std::errc::io_error));
  ASSERT_TRUE(h.trouble());
  EXPECT_EQ(h.trouble()->rfind("reads failing: ", 0), 0u) << *h.trouble();
}

}  // namespace
}  // namespace sluice::testing
