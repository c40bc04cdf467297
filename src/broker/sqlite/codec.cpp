#include "broker/sqlite/codec.hpp"

#include <charconv>

namespace sluice::broker::sqlite {
namespace {

void append_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

// Reads one "<length>:<bytes>" field from the front of `text`.
std::optional<std::string> take_field(std::string_view& text) {
  std::size_t length = 0;
  const auto* end = text.data() + text.size();
  const auto [colon, ec] = std::from_chars(text.data(), end, length);
  if (ec != std::errc() || colon == text.data() || colon == end || *colon != ':') return {};
  const auto consumed = static_cast<std::size_t>(colon - text.data()) + 1;
  if (text.size() - consumed < length) return {};
  std::string field(text.substr(consumed, length));
  text.remove_prefix(consumed + length);
  return field;
}

bool parse_int64(std::string_view text, std::int64_t& value) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

std::string encode_headers(std::span<const header> headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    append_field(out, name);
    append_field(out, value);
  }
  return out;
}

std::optional<std::vector<header>> decode_headers(std::string_view text) {
  std::vector<header> headers;
  while (!text.empty()) {
    auto name = take_field(text);
    if (!name) return {};
    auto value = take_field(text);
    if (!value) return {};
    headers.emplace_back(std::move(*name), std::move(*value));
  }
  return headers;
}

std::string encode_receipt(std::int64_t seq, std::int64_t lease) {
  return std::to_string(seq) + '.' + std::to_string(lease);
}

std::optional<lease_ref> decode_receipt(std::string_view subscription, std::string_view receipt) {
  const auto dot = receipt.find('.');
  if (dot == std::string_view::npos) return {};
  lease_ref ref;
  if (!parse_int64(receipt.substr(0, dot), ref.seq) ||
      !parse_int64(receipt.substr(dot + 1), ref.lease)) {
    return {};
  }
  ref.subscription = std::string(subscription);
  return ref;
}

}  // namespace sluice::broker::sqlite
