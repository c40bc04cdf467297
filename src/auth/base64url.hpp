#pragma once
// base64url without padding (RFC 4648 §5, as JWS and JWK use it: RFC 7515 §2).
// Decoding is strict so that one token has one spelling: only the URL-safe
// alphabet, no '=' padding, no whitespace, and the unused low bits of the last
// character must be zero (otherwise a signature could be altered in its last
// character and still decode to the same bytes).

#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

// The bytes `text` encodes, or nullopt when it is not canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

// Unpadded base64url of `bytes`.
std::string base64url_encode(std::string_view bytes);

}  // namespace sluice::auth
