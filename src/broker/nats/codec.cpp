#include "broker/nats/codec.hpp"

#include <charconv>
#include <cstdlib>

namespace sluice::broker::nats {
namespace {

constexpr const char* k_msg_id = "Nats-Msg-Id";
constexpr const char* k_topic = "Sluice-Topic";
constexpr const char* k_accepted_at = "Sluice-Accepted-At";
constexpr const char* k_fingerprint = "Sluice-Fingerprint";

bool reserved(std::string_view key) {
  auto starts = [&](std::string_view p) {
    return key.size() >= p.size() && key.substr(0, p.size()) == p;
  };
  return starts("Nats-") || starts("Sluice-");
}

std::string header(natsMsg* msg, const char* key) {
  const char* v = nullptr;
  if (natsMsgHeader_Get(msg, key, &v) != NATS_OK || v == nullptr) return {};
  return v;
}

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string sanitise(std::string_view name) {
  std::string out(name);
  for (auto& c : out) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

std::string stream_name(std::string_view name_space, std::string_view topic) {
  return sanitise(name_space) + "_" + sanitise(topic);
}

std::string subject_name(std::string_view name_space, std::string_view topic) {
  return sanitise(name_space) + "." + sanitise(topic);
}

std::string consumer_name(std::string_view name_space, std::string_view subscription) {
  return sanitise(name_space) + "_" + sanitise(subscription);
}

handle<natsMsg> encode(const message& m, const std::string& subject, const std::string& reply) {
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, subject.c_str(), reply.c_str(), m.body.data(),
                     static_cast<int>(m.body.size())) != NATS_OK) {
    return nullptr;
  }
  handle<natsMsg> msg(raw);
  std::string accepted = std::to_string(m.accepted_at_us);
  natsStatus s = natsMsgHeader_Set(raw, k_msg_id, m.id.c_str());
  if (s == NATS_OK) s = natsMsgHeader_Set(raw, k_topic, m.topic.c_str());
  if (s == NATS_OK) s = natsMsgHeader_Set(raw, k_accepted_at, accepted.c_str());
  if (s == NATS_OK && !m.fingerprint.empty()) {
    s = natsMsgHeader_Set(raw, k_fingerprint, encode_fingerprint(m.fingerprint).c_str());
  }
  for (const auto& [k, v] : m.headers) {
    if (s == NATS_OK && !k.empty() && !reserved(k))
      s = natsMsgHeader_Add(raw, k.c_str(), v.c_str());
  }
  return s == NATS_OK ? std::move(msg) : nullptr;
}

message decode(natsMsg* msg, std::string_view topic_fallback) {
  message m;
  m.id = header(msg, k_msg_id);
  m.topic = header(msg, k_topic);
  if (m.topic.empty()) m.topic = topic_fallback;
  m.accepted_at_us = to_number<std::int64_t>(header(msg, k_accepted_at)).value_or(0);
  if (const char* data = natsMsg_GetData(msg)) {
    m.body.assign(data, static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  }
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      if (reserved(keys[i])) continue;
      const char** values = nullptr;
      int n = 0;
      if (natsMsgHeader_Values(msg, keys[i], &values, &n) != NATS_OK) continue;
      for (int j = 0; j < n; ++j) m.headers.emplace_back(keys[i], values[j] ? values[j] : "");
      std::free(static_cast<void*>(values));
    }
    std::free(static_cast<void*>(keys));
  }
  return m;
}

std::string encode_fingerprint(std::string_view fingerprint) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(fingerprint.size() * 2);
  for (unsigned char c : fingerprint) {
    out += k_hex[c >> 4];
    out += k_hex[c & 0xf];
  }
  return out;
}

std::string fingerprint_of(natsMsg* msg) { return header(msg, k_fingerprint); }

std::string make_receipt(std::uint64_t stream_seq, std::uint64_t delivered,
                         std::string_view reply) {
  std::string r = std::to_string(stream_seq);
  r += ' ';
  r += std::to_string(delivered);
  r += ' ';
  r += reply;
  return r;
}

std::optional<receipt_parts> parse_receipt(std::string_view receipt) {
  auto first = receipt.find(' ');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = receipt.find(' ', first + 1);
  if (second == std::string_view::npos || second + 1 >= receipt.size()) return std::nullopt;
  auto seq = to_number<std::uint64_t>(receipt.substr(0, first));
  auto delivered = to_number<std::uint64_t>(receipt.substr(first + 1, second - first - 1));
  auto reply = receipt.substr(second + 1);
  // Only JetStream ack subjects: a forged receipt must not publish elsewhere.
  if (!seq || !delivered || reply.substr(0, 8) != "$JS.ACK.") return std::nullopt;
  return receipt_parts{*seq, *delivered, reply};
}

bool puback_ok(natsMsg* reply) {
  if (natsMsg_IsNoResponders(reply)) return false;
  const char* data = natsMsg_GetData(reply);
  if (data == nullptr) return false;
  std::string_view body(data, static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
  // {"stream":"S","seq":7[,"duplicate":true]} or {"error":{…}}: no JSON
  // parser needed to tell them apart.
  return body.find("\"error\"") == std::string_view::npos &&
         body.find("\"seq\"") != std::string_view::npos;
}

}  // namespace sluice::broker::nats
