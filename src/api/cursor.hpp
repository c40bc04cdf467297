#pragma once
// The keyset cursor of a page ordered by a field (GET /v1/{resource}?
// order=<field>…&cursor=…): the last row's (field value, id) and the order it
// belongs to, opaque to clients and signed (HMAC-SHA-256), so a client can
// neither forge a position nor inject a value of its own into the query.
//
// The key: SLUICE_CURSOR_SECRET from the environment, else random bytes
// drawn once per process. Processes behind one load balancer must share
// SLUICE_CURSOR_SECRET, or a Link header followed to another process is a 400.

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "store/query.hpp"

namespace sluice::api {

// The token of `at` in `order`: base64url(payload) "." base64url(mac). A
// next page's cursor holds the last row of its previous page (the page is
// past it); a prev page's (`before`) the first row of its next page (the
// page ends before it). The direction is signed with the position.
std::string encode_cursor(const store::order_by& order, const store::keyset& at,
                          bool before = false);

// The position `token` holds, and in `before` its direction; or nullopt
// with `why` set when it is not one of ours, was altered, or belongs to
// another order. `field` is the order's field (nullptr for id), whose type
// the value must have.
std::optional<store::keyset> decode_cursor(std::string_view token, const store::order_by& order,
                                           const config::field_def* field, bool& before,
                                           std::string& why);

}  // namespace sluice::api
