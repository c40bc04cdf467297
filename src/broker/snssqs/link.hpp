#pragma once
// The broker's way to SNS and SQS: their endpoints, the AWS HTTP client
// (aws/client.hpp: pooling, TLS, deadlines, retries, SigV4) and whether the
// endpoint is reachable. Private to src/broker/snssqs/.
//
// SNS speaks the query protocol (form-encoded Action=…, XML answers), SQS
// the JSON protocol (X-Amz-Target: AmazonSQS.<Action>). A call that cannot
// reach the endpoint marks the link down; any answer marks it up again.
//
// Thread safety: all methods from any thread; the *_sync ones never from
// the client's own thread.

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "aws/client.hpp"
#include "broker/broker.hpp"
#include "broker/snssqs/codec.hpp"

namespace sluice::broker::snssqs {

struct link_options {
  std::string region;
  std::string endpoint;  // empty: https://{sns,sqs}.REGION.amazonaws.com
  std::string ca_file;
  int max_attempts = 4;
};

class link {
 public:
  static result<std::unique_ptr<link>> open(const link_options& o,
                                            std::unique_ptr<aws::credentials_source> creds);
  ~link() { close(); }
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  void sns(const params& p, std::chrono::milliseconds timeout, aws::callback done);
  result<aws::response> sns_sync(const params& p, std::chrono::milliseconds timeout);
  void sqs(std::string_view action, const boost::json::object& body,
           std::chrono::milliseconds timeout, aws::callback done);
  result<aws::response> sqs_sync(std::string_view action, const boost::json::object& body,
                                 std::chrono::milliseconds timeout);

  bool down() const { return down_.load(); }
  // How many times the link came back up after being down (the broker
  // re-declares its topology then: idempotent, and it heals a server that
  // lost it, such as a restarted emulator).
  std::uint64_t recoveries() const { return recoveries_.load(); }
  void close();
  std::string describe_credentials() const { return client_->describe_credentials(); }

 private:
  link() = default;
  aws::callback watched(aws::callback done);

  aws::endpoint sns_, sqs_;
  std::unique_ptr<aws::client> client_;
  std::atomic<bool> down_{false};
  std::atomic<std::uint64_t> recoveries_{0};
};

// A failed call (transport error or non-2xx answer) as a broker error with
// the AWS words: errc::unavailable, or errc::unknown_subscription for a queue
// that does not exist.
failure failure_of(const result<aws::response>& r, std::string_view what);

}  // namespace sluice::broker::snssqs
