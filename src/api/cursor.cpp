#include "api/cursor.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <stdexcept>

#include "auth/base64url.hpp"

namespace sluice::api {
namespace {

constexpr char k_sep = '\x1f';
constexpr std::size_t k_mac_bytes = 16;  // HMAC-SHA-256 truncated (RFC 2104 §5 allows it)

const std::string& secret() {
  static const std::string s = [] {
    const char* env = std::getenv("SLUICE_CURSOR_SECRET");
    if (env != nullptr && *env != '\0') return std::string(env);
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      throw std::runtime_error("the random number generator failed (cursor secret)");
    }
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }();
  return s;
}

std::string mac_of(std::string_view payload) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& key = secret();
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), out,
           &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA-256 failed (cursor)");
  }
  return std::string(reinterpret_cast<const char*>(out), std::min<std::size_t>(len, k_mac_bytes));
}

// The order's part of the payload: a cursor is valid only for its order.
std::string order_text(const store::order_by& o) {
  std::string s = o.field;
  s += k_sep;
  s += o.descending ? 'd' : 'a';
  s += o.nulls_first ? 'f' : 'l';
  return s;
}

std::string value_text(const model::value& v) {
  struct visitor {
    std::string operator()(std::monostate) const { return "n"; }
    std::string operator()(std::int64_t x) const { return "i" + std::to_string(x); }
    std::string operator()(double x) const {
      char buf[32];
      auto res = std::to_chars(buf, buf + sizeof buf, x);
      return "d" + std::string(buf, res.ptr);
    }
    std::string operator()(bool x) const { return x ? "bt" : "bf"; }
    std::string operator()(const std::string& x) const { return "s" + x; }
  };
  return std::visit(visitor{}, v);
}

// The value `text` spells, if it is of the type `field` holds.
std::optional<model::value> parse_value(std::string_view text, const config::field_def* field) {
  if (text == "n") return model::value{};
  if (field == nullptr || text.empty()) return std::nullopt;
  const char tag = text[0];
  text.remove_prefix(1);
  using config::field_type;
  switch (field->type) {
    case field_type::integer: {
      std::int64_t x = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (tag != 'i' || ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
      return model::value{x};
    }
    case field_type::number: {
      double x = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (tag != 'd' || ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
      return model::value{x};
    }
    case field_type::boolean:
      if (tag != 'b' || (text != "t" && text != "f")) return std::nullopt;
      return model::value{text == "t"};
    default:
      if (tag != 's') return std::nullopt;
      return model::value{std::string(text)};
  }
}

// A prev cursor's payload: the order, then this mark, then the position. A
// next cursor has none (its payload is as it was before prev pages), and
// the mark cannot be read as an id, which is digits.
constexpr std::string_view k_before = "p\x1f";

}  // namespace

std::string encode_cursor(const store::order_by& order, const store::keyset& at, bool before) {
  std::string payload = order_text(order);
  payload += k_sep;
  if (before) payload += k_before;
  payload += std::to_string(at.id);
  payload += k_sep;
  payload += value_text(at.value);
  return auth::base64url_encode(payload) + "." + auth::base64url_encode(mac_of(payload));
}

std::optional<store::keyset> decode_cursor(std::string_view token, const store::order_by& order,
                                           const config::field_def* field, bool& before,
                                           std::string& why) {
  const auto dot = token.find('.');
  std::optional<std::string> payload, mac;
  if (dot != std::string_view::npos) {
    payload = auth::base64url_decode(token.substr(0, dot));
    mac = auth::base64url_decode(token.substr(dot + 1));
  }
  if (!payload || !mac || mac->size() != k_mac_bytes ||
      CRYPTO_memcmp(mac->data(), mac_of(*payload).data(), k_mac_bytes) != 0) {
    why = "is not a cursor this server issued (use the Link header's next page as it is)";
    return std::nullopt;
  }
  const std::string prefix = order_text(order) + k_sep;
  if (payload->compare(0, prefix.size(), prefix) != 0) {
    why = "belongs to another order than this query's";
    return std::nullopt;
  }
  std::string_view rest = std::string_view(*payload).substr(prefix.size());
  before = rest.starts_with(k_before);
  if (before) rest.remove_prefix(k_before.size());
  const auto sep = rest.find(k_sep);
  store::keyset out;
  if (sep == std::string_view::npos) {
    why = "is malformed";
    return std::nullopt;
  }
  auto id_text = rest.substr(0, sep);
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), out.id);
  auto value = parse_value(rest.substr(sep + 1), field);
  if (ec != std::errc{} || p != id_text.data() + id_text.size() || !value ||
      (field == nullptr && !std::holds_alternative<std::monostate>(*value))) {
    why = "is malformed";
    return std::nullopt;
  }
  out.value = std::move(*value);
  return out;
}

}  // namespace sluice::api
