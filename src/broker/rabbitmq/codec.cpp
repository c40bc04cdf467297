#include "broker/rabbitmq/codec.hpp"

#include <algorithm>
#include <string_view>

namespace sluice::broker::rabbitmq {
namespace {

constexpr std::string_view k_accepted_at = "sluice-accepted-at-us";
constexpr std::string_view k_attempts = "sluice-attempts";
constexpr std::string_view k_delivery_count = "x-delivery-count";

amqp_bytes_t bytes_of(std::string_view s) {
  return {s.size(), const_cast<char*>(s.data())};  // librabbitmq only reads it
}

std::string_view view_of(amqp_bytes_t b) {
  return b.len == 0 ? std::string_view{} : std::string_view(static_cast<const char*>(b.bytes), b.len);
}

amqp_table_entry_t int_entry(std::string_view key, std::int64_t value) {
  amqp_table_entry_t e{};
  e.key = bytes_of(key);
  e.value.kind = AMQP_FIELD_KIND_I64;
  e.value.value.i64 = value;
  return e;
}

// Integer header values come back in whatever width the server chose.
bool int_of(const amqp_field_value_t& v, std::int64_t& out) {
  switch (v.kind) {
    case AMQP_FIELD_KIND_I8: out = v.value.i8; return true;  // NOLINT(bugprone-signed-char-misuse): a signed 8-bit integer, not a character
    case AMQP_FIELD_KIND_U8: out = v.value.u8; return true;
    case AMQP_FIELD_KIND_I16: out = v.value.i16; return true;
    case AMQP_FIELD_KIND_U16: out = v.value.u16; return true;
    case AMQP_FIELD_KIND_I32: out = v.value.i32; return true;
    case AMQP_FIELD_KIND_U32: out = v.value.u32; return true;
    case AMQP_FIELD_KIND_I64: out = v.value.i64; return true;
    case AMQP_FIELD_KIND_U64:
    case AMQP_FIELD_KIND_TIMESTAMP: out = static_cast<std::int64_t>(v.value.u64); return true;
    default: return false;
  }
}

}  // namespace

encoded_properties::encoded_properties(const message& msg, std::uint32_t attempts_before) {
  entries_.reserve(msg.headers.size() + 2);
  for (const auto& [k, v] : msg.headers) {
    amqp_table_entry_t e{};
    e.key = bytes_of(k);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = bytes_of(v);
    entries_.push_back(e);
  }
  entries_.push_back(int_entry(k_accepted_at, msg.accepted_at_us));
  if (attempts_before > 0) entries_.push_back(int_entry(k_attempts, attempts_before));

  props_._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
                  AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
  props_.delivery_mode = 2;  // persistent
  props_.message_id = bytes_of(msg.id);
  props_.type = bytes_of(msg.topic);
  props_.content_type = amqp_cstring_bytes("application/json");
  props_.headers.num_entries = static_cast<int>(entries_.size());
  props_.headers.entries = entries_.data();
}

decoded_delivery decode(const amqp_envelope_t& envelope) {
  decoded_delivery out;
  const auto& props = envelope.message.properties;
  out.tag = envelope.delivery_tag;
  out.msg.body = std::string(view_of(envelope.message.body));
  if (props._flags & AMQP_BASIC_MESSAGE_ID_FLAG) out.msg.id = std::string(view_of(props.message_id));
  if (props._flags & AMQP_BASIC_TYPE_FLAG) out.msg.topic = std::string(view_of(props.type));
  std::int64_t attempts_before = 0;
  std::int64_t delivery_count = -1;  // absent: classic queue, or first delivery
  if (props._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < props.headers.num_entries; ++i) {
      const auto& e = props.headers.entries[i];
      auto key = view_of(e.key);
      if (key == k_accepted_at) {
        int_of(e.value, out.msg.accepted_at_us);
      } else if (key == k_attempts) {
        int_of(e.value, attempts_before);
      } else if (key == k_delivery_count) {
        int_of(e.value, delivery_count);
      } else if (key.substr(0, 2) != "x-" &&
                 (e.value.kind == AMQP_FIELD_KIND_UTF8 || e.value.kind == AMQP_FIELD_KIND_BYTES)) {
        out.msg.headers.emplace_back(std::string(key), std::string(view_of(e.value.value.bytes)));
      }
    }
  }
  // Quorum queues count returns exactly; classic queues only say "redelivered".
  std::int64_t spent = delivery_count >= 0 ? delivery_count : (envelope.redelivered ? 1 : 0);
  out.attempt = static_cast<std::uint32_t>(std::clamp<std::int64_t>(attempts_before + spent + 1, 1,
                                                                    UINT32_MAX));
  return out;
}

}  // namespace sluice::broker::rabbitmq
