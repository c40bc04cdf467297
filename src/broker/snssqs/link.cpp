#include "broker/snssqs/link.hpp"

#include <boost/json/serialize.hpp>
#include <future>

#include "observe/log.hpp"

namespace sluice::broker::snssqs {

result<std::unique_ptr<link>> link::open(const link_options& o,
                                         std::unique_ptr<aws::credentials_source> creds) {
  std::unique_ptr<link> l(new link());
  auto at = [&](std::string_view service) {
    return o.endpoint.empty()
               ? "https://" + std::string(service) + "." + o.region + ".amazonaws.com"
               : o.endpoint;
  };
  auto sns = aws::parse_endpoint(at("sns"));
  if (!sns) return {errc::refused, "broker.aws_endpoint: " + sns.message()};
  auto sqs = aws::parse_endpoint(at("sqs"));
  if (!sqs) return {errc::refused, "broker.aws_endpoint: " + sqs.message()};
  l->sns_ = *sns;
  l->sqs_ = *sqs;
  auto c = aws::client::make(
      {.region = o.region, .ca_file = o.ca_file, .max_attempts = o.max_attempts}, std::move(creds));
  if (!c) return {errc::refused, c.message() + " (" + o.ca_file + ")"};
  l->client_ = std::move(*c);
  return l;
}

aws::callback link::watched(aws::callback done) {
  return [this, done = std::move(done)](result<aws::response> r) {
    if (r) {
      if (down_.exchange(false)) ++recoveries_;
    } else if (!aws::maybe_processed(r.error()) && r.error() != aws::errc::closed) {
      // Once per outage, with the library's words (OpenSSL's reason for a
      // refused certificate, the socket's for a refused connection).
      if (!down_.exchange(true))
        observe::warn("sns/sqs endpoint unreachable", {{"error", r.message()}});
    }
    done(std::move(r));
  };
}

void link::sns(const params& p, std::chrono::milliseconds timeout, aws::callback done) {
  aws::request r{.where = &sns_,
                 .service = "sns",
                 .content_type = "application/x-www-form-urlencoded; charset=utf-8",
                 .body = form_encode(p),
                 .timeout = timeout};
  client_->call(std::move(r), watched(std::move(done)));
}

void link::sqs(std::string_view action, const boost::json::object& body,
               std::chrono::milliseconds timeout, aws::callback done) {
  aws::request r{.where = &sqs_,
                 .service = "sqs",
                 .content_type = "application/x-amz-json-1.0",
                 .target = "AmazonSQS." + std::string(action),
                 .body = boost::json::serialize(body),
                 .timeout = timeout};
  client_->call(std::move(r), watched(std::move(done)));
}

namespace {
template <class F>
result<aws::response> blocking(F start) {
  auto p = std::make_shared<std::promise<result<aws::response>>>();
  auto f = p->get_future();
  start([p](result<aws::response> r) { p->set_value(std::move(r)); });
  return f.get();
}
}  // namespace

result<aws::response> link::sns_sync(const params& p, std::chrono::milliseconds timeout) {
  return blocking([&](aws::callback cb) { sns(p, timeout, std::move(cb)); });
}

result<aws::response> link::sqs_sync(std::string_view action, const boost::json::object& body,
                                     std::chrono::milliseconds timeout) {
  return blocking([&](aws::callback cb) { sqs(action, body, timeout, std::move(cb)); });
}

void link::close() {
  if (client_) client_->close();
}

failure failure_of(const result<aws::response>& r, std::string_view what) {
  if (!r) {
    if (r.error() == aws::errc::closed) return {make_error_code(errc::closed), {}};
    // A refused certificate or an unusable endpoint stays so until an
    // operator changes something; a lost connection or answer does not.
    const bool permanent = r.error() == aws::errc::tls || r.error() == aws::errc::bad_endpoint;
    return {make_error_code(permanent ? errc::refused : errc::unavailable),
            std::string(what) + ": " + r.message()};
  }
  const auto& code = r->error_code;
  if (code == "QueueDoesNotExist" || code == "NonExistentQueue" ||
      code == "AWS.SimpleQueueService.NonExistentQueue") {
    return {make_error_code(errc::unknown_subscription), std::string(what) + ": " + code};
  }
  // A 4xx AWS does not ask to retry (AccessDenied, InvalidClientTokenId,
  // SignatureDoesNotMatch, InvalidParameterValue…) is the same every time.
  const bool permanent = r->status >= 400 && r->status < 500 && !aws::retryable(*r);
  return {make_error_code(permanent ? errc::refused : errc::unavailable),
          std::string(what) + ": HTTP " + std::to_string(r->status) +
              (code.empty() ? std::string() : " " + code)};
}

}  // namespace sluice::broker::snssqs
