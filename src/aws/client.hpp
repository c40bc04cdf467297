#pragma once
// An asynchronous HTTP/1.1 client for AWS APIs (Boost.Beast on its own
// io_context thread; nothing here ever blocks a caller's io thread). Private
// to the AWS backends (src/broker/snssqs/).
//
// What it does for every call:
//  - a keep-alive connection pool per endpoint (scheme, host, port): idle
//    connections are reused, at most `max_idle` kept per endpoint;
//  - TLS for https endpoints (Asio SSL): the peer is verified against the
//    system's trust store, or only against `ca_file` when set, with SNI and
//    host-name (or IP address) verification;
//  - a deadline on every call (connect, TLS handshake, write and read of
//    every attempt and the backoff between them all end by it);
//  - SigV4: each attempt is signed afresh (sigv4.hpp) with the credentials
//    the caller's thread got from its credentials_source;
//  - AWS's retry rules: throttling (HTTP 429, or 400 with a throttling error
//    code: Throttling, ThrottlingException, RequestThrottled, …), 5xx and
//    connection errors are retried up to `max_attempts` in all, with
//    exponential backoff and full jitter (sleep = random in [0, min(cap,
//    base · 2^n)]). A connection reused from the pool that turns out to be
//    closed by the server before answering is retried on a new one without
//    counting an attempt.
//
// Which calls are safe to retry — all the ones the SNS/SQS broker makes, and why:
//  - ReceiveMessage: a lost answer leaves its messages in flight; they come
//    back after the visibility timeout (at-least-once), nothing is lost;
//  - DeleteMessageBatch, ChangeMessageVisibilityBatch, GetQueueAttributes,
//    GetTopicAttributes, ListQueues: idempotent by definition;
//  - CreateTopic, CreateQueue, Subscribe, SetQueueAttributes: idempotent for
//    the same name and attributes (AWS returns the existing resource);
//  - PublishBatch and SendMessageBatch are NOT idempotent on a standard
//    topic/queue: a retry after an answer was lost may deliver an entry
//    twice. That is safe here because every entry carries the Sluice message
//    id (the store inserts by it: a second delivery is a duplicate, never a
//    second row) and, on FIFO topics/queues, MessageDeduplicationId = that id
//    makes SNS/SQS drop the copy within its 5-minute window.
// The caller decides what a final failure means: errc::not_sent (nothing
// reached the server: safe to say "nothing was accepted") versus
// errc::no_answer (sent, no complete answer: the outcome is unknown).
//
// Thread safety: call() and call_sync() from any thread; call_sync() never
// from the client's own thread (it blocks). close() from any thread but the
// client's.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"
#include "core/result.hpp"

namespace sluice::aws {

enum class errc {
  not_sent = 1,  // no connection, or it failed before the request was written
  no_answer,     // the request was (partly) written; no complete answer came
  credentials,   // the credentials source failed
  tls,           // the TLS handshake or certificate verification failed
  bad_endpoint,  // the endpoint URL is unusable
  closed,        // the client is closing
};
const std::error_category& category();
std::error_code make_error_code(errc e);

// Whether a failed call may have reached the server (its outcome is unknown).
bool maybe_processed(std::error_code ec);

struct endpoint {
  bool tls = true;
  std::string host;  // name or IP address (IPv6 without brackets)
  std::uint16_t port = 443;
  // The Host header value: the host, with ":port" when not the scheme's default.
  std::string authority() const;
};

// "https://sqs.us-east-1.amazonaws.com", "http://127.0.0.1:4566"; no path.
result<endpoint> parse_endpoint(std::string_view url);

struct request {
  const endpoint* where = nullptr;  // must outlive the call
  std::string service;              // signing name: "sns", "sqs"
  std::string content_type;  // "application/x-amz-json-1.0", "application/x-www-form-urlencoded"
  std::string target;        // X-Amz-Target (JSON protocol), else empty
  std::string body;
  std::chrono::milliseconds timeout{10'000};  // the whole call, retries included
};

struct response {
  unsigned status = 0;
  std::string body;
  // The AWS error code of a non-2xx answer ("QueueDoesNotExist",
  // "Throttling", …) from the JSON "__type", the XML <Code>, or the
  // x-amzn-query-error header; empty when there is none.
  std::string error_code;
  // An earlier attempt of this call got a 5xx or lost its answer: even a
  // failed final answer does not prove that nothing was processed.
  bool uncertain = false;
  bool ok() const { return status >= 200 && status < 300; }
};

// The AWS error code in an error answer's body (JSON or XML), or "".
std::string error_code_of(std::string_view body);
// Whether an answer is one AWS says to retry (throttling, 5xx).
bool retryable(const response& r);

struct client_options {
  std::string region;
  std::string ca_file;  // empty: the system's trust store
  int max_attempts = 4;
  std::chrono::milliseconds backoff_base{50};
  std::chrono::milliseconds backoff_cap{2000};
  std::size_t max_idle = 64;  // idle connections kept per endpoint
};

using callback = std::function<void(result<response>)>;

class client {
 public:
  // Starts the io thread. Fails for an unreadable ca_file.
  static result<std::unique_ptr<client>> make(client_options options,
                                              std::unique_ptr<credentials_source> credentials);
  virtual ~client() = default;

  // Gets credentials on the caller's thread, then runs the call on the
  // client's thread. `done` runs exactly once, on the client's thread (or at
  // once on the caller's, when the credentials fail or the client is
  // closed). A non-2xx answer is a response (after retries), not an error:
  // errors are transport failures only.
  virtual void call(request r, callback done) = 0;
  // Blocks until call() completes.
  result<response> call_sync(request r);

  // Fails every call in flight (errc::closed) and stops the thread. Idempotent.
  virtual void close() = 0;
  virtual std::string describe_credentials() const = 0;
};

}  // namespace sluice::aws

template <>
struct std::is_error_code_enum<sluice::aws::errc> : std::true_type {};
