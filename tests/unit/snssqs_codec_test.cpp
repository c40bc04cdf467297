// The SNS+SQS broker's pure parts (issue 13): AWS names, the query and JSON
// encodings, answers parsed, receipts, the FIFO group, the AWS client's
// endpoint parsing and retry classification. No server.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "aws/client.hpp"
#include "broker/snssqs/codec.hpp"
#include "broker/snssqs/names.hpp"

namespace sluice::broker::snssqs {
namespace {

TEST(snssqs_names, sanitised_fifo_suffixed_and_cut_with_a_hash) {
  EXPECT_EQ(topic_name("sluice", "users", false), "sluice-users");
  EXPECT_EQ(queue_name("sluice", "users.audit", true), "sluice-users_audit.fifo");
  const std::string long_name(200, 'a');
  auto a = queue_name("ns", long_name, false), b = queue_name("ns", long_name + "b", false);
  EXPECT_EQ(a.size(), k_max_queue_name);
  EXPECT_NE(a, b);
  auto f = queue_name("ns", long_name, true);
  EXPECT_EQ(f.size(), k_max_queue_name);
  EXPECT_TRUE(f.ends_with(".fifo"));
  EXPECT_EQ(group_id(""), "_");
  EXPECT_EQ(group_id("a b\x01"), "a_b_");
}

TEST(snssqs_codec, form_encoding_is_rfc3986) {
  EXPECT_EQ(form_encode({{"Action", "Publish"}, {"Message", "{\"a\":\"b c\"}~"}}),
            "Action=Publish&Message=%7B%22a%22%3A%22b%20c%22%7D~");
}

message sample() {
  message m;
  m.id = "0190a0b0-0000-7000-8000-000000000001";
  m.topic = "users";
  m.body = "{\"email\":\"a@b.c\",\"n\":3}";
  m.accepted_at_us = 1'790'000'000'000'000;
  m.fingerprint = std::string("\x01\xff", 2);
  m.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
               {"content-type", "application/json"},
               {"bad name!", "dropped"},
               {"idempotency-key", ""}};
  return m;
}

TEST(snssqs_codec, publish_batch_carries_id_group_and_attributes) {
  auto m = sample();
  const message* entries[] = {&m};
  auto p = publish_batch("arn:t", entries, {.fifo = true, .group_field = "email"});
  std::map<std::string, std::string> kv(p.begin(), p.end());
  const std::string e = "PublishBatchRequestEntries.member.1.";
  EXPECT_EQ(kv["Action"], "PublishBatch");
  EXPECT_EQ(kv[e + "Id"], "0");
  EXPECT_EQ(kv[e + "MessageGroupId"], "a@b.c");
  EXPECT_EQ(kv[e + "MessageDeduplicationId"], m.id);
  std::set<std::string> names;
  for (const auto& [k, v] : kv) {
    if (k.ends_with(".Name")) names.insert(v);
  }
  EXPECT_EQ(names, (std::set<std::string>{"sluice-id", "sluice-topic", "sluice-accepted-at",
                                          "sluice-fingerprint", "traceparent", "content-type"}));
  EXPECT_EQ(group_of(m, "n"), "3");
  EXPECT_EQ(group_of(m, "missing"), "users");
  EXPECT_EQ(group_of(m, ""), "users");
}

TEST(snssqs_codec, publish_batch_answer_names_successes_and_failures) {
  auto a = parse_publish_batch(
      "<PublishBatchResponse><PublishBatchResult><Successful><member><Id>0</Id><MessageId>m-1"
      "</MessageId></member><member><Id>2</Id><MessageId>m-3</MessageId></member></Successful>"
      "<Failed><member><Id>1</Id><Code>InternalError</Code><SenderFault>false</SenderFault>"
      "</member></Failed></PublishBatchResult></PublishBatchResponse>");
  EXPECT_EQ(a.succeeded, (std::vector<std::string>{"0", "2"}));
  ASSERT_EQ(a.failed.size(), 1u);
  EXPECT_EQ(a.failed[0].second, "InternalError");
  EXPECT_EQ(xml_text("<TopicArn>arn:a&amp;b</TopicArn>", "TopicArn").value_or(""), "arn:a&b");
}

TEST(snssqs_codec, a_received_message_round_trips_and_its_receipt_too) {
  auto m = sample();
  std::string attrs;
  for (const auto& a : attributes_of(m, 2, 1)) {
    attrs += std::string(attrs.empty() ? "" : ",") + "\"" + a.name + "\":{\"DataType\":\"" +
             a.type + "\",\"StringValue\":\"" + a.value + "\"}";
  }
  auto got = parse_receive(
      "{\"Messages\":[{\"MessageId\":\"x\",\"ReceiptHandle\":\"rh\",\"Body\":"
      "\"{\\\"email\\\":\\\"a@b.c\\\",\\\"n\\\":3}\",\"Attributes\":{\"ApproximateReceiveCount\":"
      "\"3\",\"MessageGroupId\":\"g\"},\"MessageAttributes\":{" +
      attrs + "}}]}");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].msg.id, m.id);
  EXPECT_EQ(got[0].msg.topic, "users");
  EXPECT_EQ(got[0].msg.body, m.body);
  EXPECT_EQ(got[0].msg.accepted_at_us, m.accepted_at_us);
  EXPECT_EQ(got[0].msg.fingerprint, m.fingerprint);
  EXPECT_EQ(got[0].receive_count, 3u);
  EXPECT_EQ(got[0].spent, 2u);
  EXPECT_EQ(got[0].copy, 1u);
  EXPECT_EQ(got[0].msg.headers.size(), 2u);
  auto r = parse_receipt(make_receipt(got[0]));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->handle, "rh");
  EXPECT_EQ(r->group, "g");
  EXPECT_EQ(r->spent, 2u);
  EXPECT_FALSE(parse_receipt("not ours"));
  EXPECT_GT(encoded_size(m), m.body.size());
}

TEST(aws_client, endpoints_and_retry_rules) {
  auto e = aws::parse_endpoint("http://127.0.0.1:4566");
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->tls);
  EXPECT_EQ(e->authority(), "127.0.0.1:4566");
  e = aws::parse_endpoint("https://sqs.us-east-1.amazonaws.com/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->authority(), "sqs.us-east-1.amazonaws.com");
  EXPECT_FALSE(aws::parse_endpoint("ftp://x"));
  EXPECT_FALSE(aws::parse_endpoint("https://x/path"));
  EXPECT_FALSE(aws::parse_endpoint("https://x:99999"));
  aws::response throttled{
      .status = 400,
      .error_code = aws::error_code_of("{\"__type\":\"com.amazon.coral.availability#"
                                       "ThrottlingException\",\"message\":\"Rate exceeded\"}")};
  EXPECT_EQ(throttled.error_code, "ThrottlingException");
  EXPECT_TRUE(aws::retryable(throttled));
  EXPECT_TRUE(aws::retryable({.status = 503}));
  EXPECT_TRUE(aws::retryable({.status = 429}));
  aws::response missing{
      .status = 400,
      .error_code = aws::error_code_of("<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</"
                                       "Code></Error></ErrorResponse>")};
  EXPECT_EQ(missing.error_code, "NotFound");
  EXPECT_FALSE(aws::retryable(missing));
  EXPECT_TRUE(
      aws::retryable({.status = 400, .error_code = "AWS.SimpleQueueService.RequestThrottled"}));
}

}  // namespace
}  // namespace sluice::broker::snssqs
