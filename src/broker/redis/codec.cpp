#include "broker/redis/codec.hpp"

#include <charconv>

namespace sluice::broker::redis {
namespace {

constexpr std::string_view k_header_prefix = "h:";

std::string_view text(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_STRING || r->str == nullptr) return {};
  return {r->str, r->len};
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string names::stream(std::string_view topic) const {
  return ns + ":topic:" + std::string(topic);
}
std::string names::group(std::string_view subscription) const {
  return ns + ":" + std::string(subscription);
}
std::string names::dedup(std::string_view message_id) const {
  return ns + ":dedup:" + std::string(message_id);
}
std::string names::registry() const { return ns + ":subscriptions"; }

std::vector<std::string> encode_fields(const message& m) {
  std::vector<std::string> f;
  f.reserve(8 + 2 * m.headers.size());
  f.insert(f.end(), {"id", m.id, "topic", m.topic, "accepted_at_us",
                     std::to_string(m.accepted_at_us), "body", m.body});
  for (const auto& [name, value] : m.headers) {
    f.push_back(std::string(k_header_prefix) + name);
    f.push_back(value);
  }
  return f;
}

std::optional<message> decode_fields(const redisReply* fields) {
  if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
    return std::nullopt;
  }
  message m;
  bool has_id = false;
  for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
    auto name = text(fields->element[i]);
    auto value = text(fields->element[i + 1]);
    if (name == "id") {
      m.id = std::string(value);
      has_id = true;
    } else if (name == "topic") {
      m.topic = std::string(value);
    } else if (name == "accepted_at_us") {
      if (!parse_number(value, m.accepted_at_us)) return std::nullopt;
    } else if (name == "body") {
      m.body = std::string(value);
    } else if (name.substr(0, k_header_prefix.size()) == k_header_prefix) {
      m.headers.emplace_back(std::string(name.substr(k_header_prefix.size())), std::string(value));
    }
  }
  if (!has_id) return std::nullopt;
  return m;
}

// "<entry id> <count> <consumer>": entry ids and counts have no spaces.
std::string encode_receipt(const lease& l) {
  return l.entry_id + " " + std::to_string(l.count) + " " + l.consumer;
}

std::optional<lease> decode_receipt(std::string_view receipt) {
  auto a = receipt.find(' ');
  if (a == std::string_view::npos) return std::nullopt;
  auto b = receipt.find(' ', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  lease l;
  l.entry_id = std::string(receipt.substr(0, a));
  if (!parse_number(receipt.substr(a + 1, b - a - 1), l.count)) return std::nullopt;
  l.consumer = std::string(receipt.substr(b + 1));
  if (l.entry_id.empty() || l.consumer.empty()) return std::nullopt;
  return l;
}

}  // namespace sluice::broker::redis
