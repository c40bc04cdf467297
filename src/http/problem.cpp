#include "http/problem.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

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

response problem(unsigned status, std::string_view detail, const std::vector<field_error>& errors,
                 const boost::json::object& extra) {
  namespace json = boost::json;
  json::object body;
  body["type"] = "about:blank";
  body["title"] = reason_phrase(status);
  body["status"] = status;
  body["detail"] = observe::valid_utf8(detail);
  if (!errors.empty()) {
    json::array list;
    list.reserve(errors.size());
    for (const auto& e : errors) {
      list.push_back(json::object{{"pointer", observe::valid_utf8(e.pointer)},
                                  {"detail", observe::valid_utf8(e.detail)}});
    }
    body["errors"] = std::move(list);
  }
  for (const auto& member : extra) body[member.key()] = member.value();
  response r;
  r.status = status;
  r.set("Content-Type", "application/problem+json");
  r.body = json::serialize(body);
  return r;
}

}  // namespace sluice::http
