#pragma once
// An answer as the bytes the server writes: status line, header fields and
// body in one buffer, for one write. The server owns the framing fields
// (Content-Length, Connection, Transfer-Encoding): a handler's own are not
// written. Beast's serializer did this before; for the small answers of an
// API it cost more than the rest of writing them (a buffer per field and a
// gather write), so the answer is laid out here once.

#include <string>

#include "http/message.hpp"

namespace sluice::http {

struct wire_framing {
  unsigned version = 11;   // 10 or 11: the request's
  bool keep_alive = true;  // the connection stays open after this answer
  bool head = false;       // answering HEAD: the GET's headers, no body (RFC 9110 §9.3.2)
};

// Serialises `res` (`Server: sluice` first, then its headers in order).
// A header whose name or value holds CR, LF or NUL is not written: no
// value can split the answer (response splitting). 1xx, 204 and 304
// answers carry neither Content-Length nor a body (RFC 9110 §8.6).
std::string serialize(const response& res, wire_framing framing);

}  // namespace sluice::http
