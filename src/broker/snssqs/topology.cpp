#include "broker/snssqs/topology.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

namespace sluice::broker::snssqs {
namespace {

namespace json = boost::json;

json::object answer_of(const aws::response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  return !ec && v.is_object() ? v.as_object() : json::object{};
}

std::string_view text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

result<std::string> ensure_topic(link& l, const std::string& name, bool fifo,
                                 std::chrono::milliseconds timeout) {
  params p = {{"Action", "CreateTopic"}, {"Version", "2010-03-31"}, {"Name", name}};
  if (fifo) {
    p.insert(p.end(), {{"Attributes.entry.1.key", "FifoTopic"},
                       {"Attributes.entry.1.value", "true"},
                       {"Attributes.entry.2.key", "ContentBasedDeduplication"},
                       {"Attributes.entry.2.value", "false"}});
  }
  auto r = l.sns_sync(p, timeout);
  if (!r || !r->ok()) return failure_of(r, "SNS CreateTopic " + name);
  auto arn = xml_text(r->body, "TopicArn");
  if (!arn || arn->empty()) return {errc::unavailable, "SNS CreateTopic " + name + ": no TopicArn"};
  return *arn;
}

result<queue_ref> ensure_queue(link& l, const std::string& name, bool fifo,
                               std::chrono::seconds visibility, std::chrono::milliseconds timeout) {
  json::object create{{"QueueName", name}};
  if (fifo)
    create["Attributes"] =
        json::object{{"FifoQueue", "true"}, {"ContentBasedDeduplication", "false"}};
  auto r = l.sqs_sync("CreateQueue", create, timeout);
  std::string url;
  if (r && !r->ok() &&
      (r->error_code == "QueueAlreadyExists" || r->error_code == "QueueNameExists")) {
    // Created earlier with other attributes: use it, its attributes are set below.
    auto found = find_queue(l, name, timeout);
    if (!found) return found.why();
    url = *found;
  } else if (!r || !r->ok()) {
    return failure_of(r, "SQS CreateQueue " + name);
  } else {
    url = std::string(text(answer_of(*r), "QueueUrl"));
  }
  if (url.empty()) return {errc::unavailable, "SQS CreateQueue " + name + ": no QueueUrl"};
  json::object set{
      {"QueueUrl", url},
      {"Attributes", json::object{{"VisibilityTimeout", std::to_string(visibility.count())},
                                  {"MessageRetentionPeriod", "1209600"}}}};
  r = l.sqs_sync("SetQueueAttributes", set, timeout);
  if (!r || !r->ok()) return failure_of(r, "SQS SetQueueAttributes " + name);
  json::object get{{"QueueUrl", url}, {"AttributeNames", json::array{"QueueArn"}}};
  r = l.sqs_sync("GetQueueAttributes", get, timeout);
  if (!r || !r->ok()) return failure_of(r, "SQS GetQueueAttributes " + name);
  auto attrs = answer_of(*r);
  const auto* a = attrs.if_contains("Attributes");
  std::string arn =
      a != nullptr && a->is_object() ? std::string(text(a->as_object(), "QueueArn")) : "";
  if (arn.empty()) return {errc::unavailable, "SQS GetQueueAttributes " + name + ": no QueueArn"};
  return queue_ref{url, arn};
}

failure ensure_subscription(link& l, const std::string& topic_arn, const queue_ref& q,
                            std::chrono::milliseconds timeout) {
  json::object statement{
      {"Sid", "sluice-sns-to-sqs"},
      {"Effect", "Allow"},
      {"Principal", json::object{{"Service", "sns.amazonaws.com"}}},
      {"Action", "sqs:SendMessage"},
      {"Resource", q.arn},
      {"Condition", json::object{{"ArnEquals", json::object{{"aws:SourceArn", topic_arn}}}}}};
  json::object policy{{"Version", "2012-10-17"}, {"Statement", json::array{statement}}};
  json::object set{{"QueueUrl", q.url},
                   {"Attributes", json::object{{"Policy", json::serialize(policy)}}}};
  auto r = l.sqs_sync("SetQueueAttributes", set, timeout);
  if (!r || !r->ok()) return failure_of(r, "SQS SetQueueAttributes Policy");
  params p = {{"Action", "Subscribe"},
              {"Version", "2010-03-31"},
              {"TopicArn", topic_arn},
              {"Protocol", "sqs"},
              {"Endpoint", q.arn},
              {"ReturnSubscriptionArn", "true"},
              {"Attributes.entry.1.key", "RawMessageDelivery"},
              {"Attributes.entry.1.value", "true"}};
  auto s = l.sns_sync(p, timeout);
  if (!s || !s->ok()) return failure_of(s, "SNS Subscribe");
  return {};
}

result<std::string> find_queue(link& l, const std::string& name,
                               std::chrono::milliseconds timeout) {
  auto r = l.sqs_sync("GetQueueUrl", json::object{{"QueueName", name}}, timeout);
  if (!r || !r->ok()) {
    auto f = failure_of(r, "SQS GetQueueUrl " + name);
    if (r && r->status == 400 && r->error_code.find("NonExistent") != std::string::npos) {
      f.code = make_error_code(errc::unknown_subscription);
    }
    return f;
  }
  auto url = std::string(text(answer_of(*r), "QueueUrl"));
  if (url.empty()) return {errc::unavailable, "SQS GetQueueUrl " + name + ": no QueueUrl"};
  return url;
}

result<std::uint64_t> queue_depth(link& l, const std::string& url,
                                  std::chrono::milliseconds timeout) {
  json::object get{{"QueueUrl", url},
                   {"AttributeNames", json::array{"ApproximateNumberOfMessages",
                                                  "ApproximateNumberOfMessagesNotVisible",
                                                  "ApproximateNumberOfMessagesDelayed"}}};
  auto r = l.sqs_sync("GetQueueAttributes", get, timeout);
  if (!r || !r->ok()) return failure_of(r, "SQS GetQueueAttributes");
  auto o = answer_of(*r);
  const auto* a = o.if_contains("Attributes");
  if (a == nullptr || !a->is_object())
    return {errc::unavailable, "SQS GetQueueAttributes: no Attributes"};
  std::uint64_t total = 0;
  for (const auto& [k, v] : a->as_object()) {
    (void)k;
    if (!v.is_string()) continue;
    std::uint64_t n = 0;
    std::string_view s = v.get_string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) total += n;
  }
  return total;
}

}  // namespace sluice::broker::snssqs
