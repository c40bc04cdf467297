#pragma once
// Every response an integration test receives from a sluice server, recorded
// for tests/openapi/validator.mjs, which checks each one against the OpenAPI
// document of the server that sent it (issue 14: "every response in the
// integration suite validated against the document").
//
// On only when SLUICE_OPENAPI_RECORDS names a directory (ctest sets it for
// every test of label integration, tests/CMakeLists.txt). Then:
// - sluice_process::start() writes the document of the configuration it
//   started (`sluice openapi`, same config and environment) to
//   <dir>/docs/<hash>.json and registers the server's port with it;
// - http_client, raw_socket and the curl helpers of the tests hand every
//   response from a registered port to `response()`, which appends one JSON
//   line to <dir>/<pid>.jsonl: the test's name, the document, the method and
//   target, status, headers and body.
// Responses from ports no sluice_process started (stub servers, Prometheus,
// fauxqs) are not recorded.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace sluice::testing::openapi_record {

bool enabled();

// The document (its JSON text) of the server now listening on `port`.
void register_server(int port, const std::string& document);
// Whether `port` is a registered sluice server.
bool registered(int port);

struct exchange {
  std::string_view via;  // "http_client", "raw_socket", "curl"
  std::string_view method;  // "" when the request line could not be told
  std::string_view target;
  int status = 0;
  const std::map<std::string, std::string>* headers = nullptr;  // names lower-cased
  std::string_view body;
  bool has_body = true;  // false: the body was not kept (curl -o /dev/null); not checked
};
void response(int port, const exchange& e);

// The heads curl wrote with -D (one per response, 1xx included) of a
// request to `target`; `body` (curl -o), when given, is the last one's, and
// checked; otherwise the bodies are not.
void curl(int port, std::string_view method, std::string_view target, const std::string& dump,
          const std::string* body = nullptr);

// The method and target of the first request line of `sent` (empty when it
// is not METHOD SP TARGET SP HTTP/1.x).
std::pair<std::string, std::string> request_line_of(std::string_view sent);

// The responses in `received` (HTTP/1.1 messages with Content-Length bodies,
// as raw_socket reads them), paired in order with the requests in `sent` (all
// the bytes sent on the connection); `answered` counts the responses of the
// connection recorded so far (the next one answers request number `answered`).
void raw(int port, const std::string& sent, const std::string& received, std::size_t& answered);

}  // namespace sluice::testing::openapi_record
