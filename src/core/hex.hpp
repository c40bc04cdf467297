#pragma once
// Lower-case hexadecimal of bytes: API key ids and HMACs, SigV4 digests and
// signatures, message attributes. Header-only: it sits on hot paths (a
// signature per AWS call).

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice {

inline std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = k_digits[p[i] >> 4];
    out[2 * i + 1] = k_digits[p[i] & 0xf];
  }
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  return to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

}  // namespace sluice
