// The dedup identity (issue 11 #9) where it is decided in this process,
// without a server: the RabbitMQ publisher's dedup cache, and the NATS
// publisher's reading of a duplicate PubAck and comparison with the message
// the stream kept. (The contract suite shows the same on every real broker.)

#include <gtest/gtest.h>

#include <string>

#include "broker/broker.hpp"
#if SLUICE_WITH_RABBITMQ
#include "broker/dedup_cache.hpp"
#endif
#if SLUICE_WITH_NATS
#include "broker/nats/codec.hpp"
#include "broker/nats/duplicates.hpp"
#endif

namespace sluice::broker {
namespace {

using namespace std::chrono_literals;

message keyed(std::string fingerprint, std::string body = "{\"a\":1}") {
  message m;
  m.id = "k1";
  m.topic = "users";
  m.body = std::move(body);
  m.deduplicate = true;
  m.fingerprint = std::move(fingerprint);
  return m;
}

#if SLUICE_WITH_RABBITMQ
using verdict = dedup_cache::verdict;

TEST(rabbitmq_dedup_cache, the_same_request_is_a_duplicate_another_is_a_conflict) {
  dedup_cache cache(1h, 100);
  EXPECT_EQ(cache.check(keyed("A")), verdict::fresh);
  cache.remember(keyed("A"));
  EXPECT_EQ(cache.check(keyed("A")), verdict::duplicate);
  EXPECT_EQ(cache.check(keyed("B")), verdict::conflict);  // same body, other request
  EXPECT_EQ(cache.check(keyed("")), verdict::conflict);
  EXPECT_EQ(cache.check(keyed("A", "{\"a\":2}")), verdict::duplicate);  // the request decides
}

TEST(rabbitmq_dedup_cache, without_a_fingerprint_the_body_decides) {
  dedup_cache cache(1h, 100);
  cache.remember(keyed(""));
  EXPECT_EQ(cache.check(keyed("")), verdict::duplicate);
  EXPECT_EQ(cache.check(keyed("", "{\"a\":2}")), verdict::conflict);
}

// Issue 11 #27: after an unconfirmed publish the id is claimed by its
// request (another conflicts) but its retry must be sent again.
TEST(rabbitmq_dedup_cache, an_unconfirmed_id_is_claimed_but_not_done) {
  dedup_cache cache(1h, 100);
  cache.remember(keyed("A"), /*confirmed=*/false);
  EXPECT_EQ(cache.check(keyed("A")), verdict::fresh);
  EXPECT_EQ(cache.check(keyed("B")), verdict::conflict);
  cache.remember(keyed("A"));
  EXPECT_EQ(cache.check(keyed("A")), verdict::duplicate);
}
#endif

#if SLUICE_WITH_NATS
// libnats must be initialised before a message is made (the broker does it
// when it connects).
class nats_duplicates : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(nats_Open(-1), NATS_OK); }
};

nats::handle<natsMsg> reply_with(const std::string& data) {
  natsMsg* raw = nullptr;
  EXPECT_EQ(natsMsg_Create(&raw, "_INBOX.x.1", nullptr, data.data(), static_cast<int>(data.size())),
            NATS_OK);
  return nats::handle<natsMsg>(raw);
}

TEST_F(nats_duplicates, a_duplicate_puback_gives_the_kept_sequence) {
  EXPECT_EQ(nats::duplicate_of(reply_with(R"({"stream":"S","seq":7,"duplicate": true})").get()),
            std::optional<std::uint64_t>(7));
  EXPECT_EQ(nats::duplicate_of(reply_with(R"({"stream":"S","seq":12,"duplicate":true})").get()),
            std::optional<std::uint64_t>(12));
  EXPECT_EQ(nats::duplicate_of(reply_with(R"({"stream":"S","seq":7})").get()), std::nullopt);
  EXPECT_EQ(nats::duplicate_of(reply_with(R"({"error":{"code":503}})").get()), std::nullopt);
}

TEST_F(nats_duplicates, the_kept_message_is_the_same_only_with_the_same_fingerprint) {
  const std::string binary("request-A\x01\xff", 11);
  auto kept = nats::encode(keyed(binary), "ns.users", "_INBOX.r");
  ASSERT_TRUE(kept);
  EXPECT_TRUE(nats::same_message(kept.get(), keyed(binary)));
  EXPECT_FALSE(nats::same_message(kept.get(), keyed(std::string("request-B\x01\xff", 11))));
  EXPECT_FALSE(nats::same_message(kept.get(), keyed("")));
  auto other_id = keyed(binary);
  other_id.id = "k2";
  EXPECT_FALSE(nats::same_message(kept.get(), other_id));

  auto plain = nats::encode(keyed(""), "ns.users", "_INBOX.r");
  ASSERT_TRUE(plain);
  EXPECT_TRUE(nats::same_message(plain.get(), keyed("")));
  EXPECT_FALSE(nats::same_message(plain.get(), keyed("", "{\"a\":2}")));
  EXPECT_FALSE(nats::same_message(plain.get(), keyed(binary)));
}
#endif

}  // namespace
}  // namespace sluice::broker
