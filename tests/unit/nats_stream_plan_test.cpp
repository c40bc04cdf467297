// Issue 11 #11: what declare() may change on an existing NATS stream. An
// operator's replicas are never lowered; the duplicate window is Sluice's own
// setting, kept within the stream's max_age; every difference is reported.

#include <gtest/gtest.h>

#include "broker/nats/link.hpp"
#include "broker/nats/stream_plan.hpp"

namespace sluice::broker::nats {
namespace {

constexpr std::int64_t k_hour_ns = 3600LL * 1'000'000'000;

TEST(nats_stream_plan, replicas_are_never_lowered) {
  auto p = plan_stream({.replicas = 3, .duplicates_ns = k_hour_ns}, 1, k_hour_ns);
  EXPECT_FALSE(p.update);
  EXPECT_EQ(p.replicas, 3);
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_NE(p.notes[0].find("never lowered"), std::string::npos) << p.notes[0];
}

TEST(nats_stream_plan, replicas_are_raised_to_the_configuration) {
  auto p = plan_stream({.replicas = 1, .duplicates_ns = k_hour_ns}, 3, k_hour_ns);
  EXPECT_TRUE(p.update);
  EXPECT_EQ(p.replicas, 3);
  EXPECT_EQ(p.notes.size(), 1u);
}

TEST(nats_stream_plan, a_stream_as_configured_is_left_alone_silently) {
  auto p = plan_stream({.replicas = 1, .duplicates_ns = k_hour_ns}, 1, k_hour_ns);
  EXPECT_FALSE(p.update);
  EXPECT_TRUE(p.notes.empty());
}

TEST(nats_stream_plan, the_duplicate_window_follows_the_configuration) {
  auto p = plan_stream({.replicas = 3, .duplicates_ns = 2 * k_hour_ns}, 1, k_hour_ns);
  EXPECT_TRUE(p.update);
  EXPECT_EQ(p.duplicates_ns, k_hour_ns);
  EXPECT_EQ(p.replicas, 3);  // an update never carries fewer replicas
}

TEST(nats_stream_plan, the_duplicate_window_stays_within_max_age) {
  auto p =
      plan_stream({.replicas = 1, .duplicates_ns = 0, .max_age_ns = k_hour_ns}, 1, 24 * k_hour_ns);
  EXPECT_TRUE(p.update);
  EXPECT_EQ(p.duplicates_ns, k_hour_ns);
  EXPECT_EQ(p.notes.size(), 1u);
}

}  // namespace
}  // namespace sluice::broker::nats

// Issue 16: a broker.url may list a cluster's seeds; each becomes one server
// for libnats (natsOptions_SetURL would take the whole list as one address).
TEST(nats_server_urls, a_comma_separated_list_is_one_url_per_server) {
  using sluice::broker::nats::server_urls;
  EXPECT_EQ(server_urls("nats://127.0.0.1:4222"),
            std::vector<std::string>{"nats://127.0.0.1:4222"});
  EXPECT_EQ(server_urls("nats://a:1, nats://b:2 ,nats://c:3"),
            (std::vector<std::string>{"nats://a:1", "nats://b:2", "nats://c:3"}));
  EXPECT_EQ(server_urls(" ,nats://u:p@a:1,,"), std::vector<std::string>{"nats://u:p@a:1"});
  EXPECT_TRUE(server_urls(" , ").empty());
}
