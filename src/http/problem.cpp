#include "http/problem.hpp"

#include "observe/log.hpp"

namespace sluice::http {

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

response problem(unsigned status, std::string_view detail, const std::vector<field_error>& errors) {
  using observe::append_json_string;
  response r;
  r.status = status;
  r.set("Content-Type", "application/problem+json");
  std::string& b = r.body;
  b = "{\"type\":\"about:blank\",\"title\":";
  append_json_string(b, reason_phrase(status));
  b += ",\"status\":" + std::to_string(status) + ",\"detail\":";
  append_json_string(b, detail);
  if (!errors.empty()) {
    b += ",\"errors\":[";
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (i > 0) b += ',';
      b += "{\"pointer\":";
      append_json_string(b, errors[i].pointer);
      b += ",\"detail\":";
      append_json_string(b, errors[i].detail);
      b += '}';
    }
    b += ']';
  }
  b += '}';
  return r;
}

}  // namespace sluice::http
