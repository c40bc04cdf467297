#pragma once
// Credentials out of URLs before they reach a log line or an error message.

#include <string>
#include <string_view>

namespace sluice::app {

// The URL (or comma-separated list of URLs, as NATS takes) with every secret
// replaced by "***":
//  - the password of `user:password@` in each URL of the list;
//  - a lone userinfo where the scheme reads it as a secret: the password of
//    `redis://secret@h` and the token of `nats://token@h` (for postgres:// and
//    amqp:// a lone userinfo is a user name and stays);
//  - the value of any `password=`, `token=` or `secret=` parameter (query
//    strings, libpq's `key=value` conninfo), whatever its case.
// Over-masking is the safe direction: anything unrecognised keeps its shape.
std::string mask_password(std::string_view url);

}  // namespace sluice::app
