#pragma once
// Encodings of what the broker stores in text columns or hands out as opaque
// strings. Private to src/broker/sqlite/.
//
// Headers: each name and value as "<decimal byte length>:<bytes>", concatenated
// (netstring-like). Any bytes survive, and no JSON library is needed.
// Receipts: "<seq>.<lease>" in decimal; they identify one lease of one
// delivery in its subscription.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.hpp"

namespace sluice::broker::sqlite {

std::string encode_headers(std::span<const header> headers);
// nullopt when `text` is not a valid encoding (a damaged row).
std::optional<std::vector<header>> decode_headers(std::string_view text);

struct lease_ref {
  std::string subscription;
  std::int64_t seq = 0;
  std::int64_t lease = 0;
};

std::string encode_receipt(std::int64_t seq, std::int64_t lease);
// nullopt when `receipt` was not made by encode_receipt.
std::optional<lease_ref> decode_receipt(std::string_view subscription, std::string_view receipt);

}  // namespace sluice::broker::sqlite
