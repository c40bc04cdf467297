#pragma once
// The one place where domain errors become HTTP answers: the broker's or the
// store's trouble is ours (503 + Retry-After: retry later, nothing was
// accepted), an id reused with another body is the client's (409), anything
// else is a logged 500.

#include <system_error>

#include "http/message.hpp"

namespace sluice::api {

http::response error_response(std::error_code ec);

}  // namespace sluice::api
