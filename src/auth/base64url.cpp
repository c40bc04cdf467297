#include "auth/base64url.hpp"

#include <array>
#include <cstdint>

namespace sluice::auth {
namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (std::size_t i = 0; i < k_alphabet.size(); ++i)
    t[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto k_table = make_table();

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  // A remainder of one character cannot encode a whole byte.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const auto v = k_table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  // Left-over bits (2 or 4) must be zero: the canonical encoding only.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(k_alphabet[(acc >> bits) & 0x3fu]);
    }
  }
  if (bits > 0) out.push_back(k_alphabet[(acc << (6 - bits)) & 0x3fu]);
  return out;
}

}  // namespace sluice::auth
