#include "broker/nats/topology.hpp"

#include "broker/nats/handles.hpp"
#include "broker/nats/stream_plan.hpp"
#include "observe/log.hpp"

namespace sluice::broker::nats {
namespace {

constexpr std::int64_t k_ns_per_ms = 1'000'000;

jsStreamConfig stream_config(const stream_spec& spec, const char** subjects) {
  jsStreamConfig c;
  jsStreamConfig_Init(&c);
  c.Name = spec.name.c_str();
  c.Subjects = subjects;
  c.SubjectsLen = 1;
  // Removed once every consumer acked it: SNS→SQS, not a log.
  c.Retention = js_InterestPolicy;
  c.Storage = js_FileStorage;
  c.Discard = js_DiscardOld;
  c.Replicas = spec.replicas;
  c.Duplicates = spec.dedup_window.count() * k_ns_per_ms;
  return c;
}

jsConsumerConfig consumer_config(const consumer_spec& spec) {
  jsConsumerConfig c;
  jsConsumerConfig_Init(&c);
  c.Durable = spec.name.c_str();
  c.FilterSubject = spec.subject.c_str();
  c.DeliverPolicy = js_DeliverNew;
  c.AckPolicy = js_AckExplicit;
  c.AckWait = spec.ack_wait.count() * k_ns_per_ms;
  c.MaxDeliver = -1;  // Sluice counts attempts and dead-letters itself
  c.MaxAckPending = spec.max_ack_pending;
  return c;
}

// The broker error a failed JetStream call means: errc::refused for what
// stays so until an operator acts (permissions, authentication, TLS, a
// stream configuration the server rejects, JetStream not enabled), else
// errc::unavailable (timeouts, no server, a cluster electing a leader).
std::error_code failure_of(natsStatus s, jsErrCode jerr) {
  switch (s) {
    case NATS_NOT_PERMITTED:
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_SSL_ERROR:
    case NATS_NO_SERVER_SUPPORT: return errc::refused;
    default: break;
  }
  switch (jerr) {
    case JSBadRequestErr:
    case JSInvalidJSONErr:
    case JSNotEnabledErr:
    case JSNotEnabledForAccountErr:
    case JSNoAccountErr:
    case JSStreamInvalidConfig:
    case JSStreamSubjectOverlapErr:
    case JSStreamReplicasNotSupportedErr:
    case JSStreamNameExistErr:  // the same name with another configuration
    case JSMaximumStreamsLimitErr:
    case JSMaximumConsumersLimitErr: return errc::refused;
    default: return errc::unavailable;
  }
}

}  // namespace

std::error_code ensure_stream(jsCtx* js, const stream_spec& spec) {
  jsStreamInfo* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js, spec.name.c_str(), nullptr, &jerr);
  handle<jsStreamInfo> info(raw);
  if (s == NATS_NOT_FOUND) {
    const char* subjects[] = {spec.subject.c_str()};
    auto config = stream_config(spec, subjects);
    raw = nullptr;
    s = js_AddStream(&raw, js, &config, nullptr, &jerr);
    info.reset(raw);
    if (s == NATS_OK) return {};
    if (jerr != JSStreamNameExistErr) return failure_of(s, jerr);
    // Another process created it meanwhile: treat it as existing.
    raw = nullptr;
    s = js_GetStreamInfo(&raw, js, spec.name.c_str(), nullptr, &jerr);
    info.reset(raw);
  }
  if (s != NATS_OK) return failure_of(s, jerr);
  if (info->Config == nullptr) return errc::unavailable;
  // It exists: keep what the operator set, change only what plan_stream allows.
  const jsStreamConfig& have = *info->Config;
  auto plan = plan_stream({have.Replicas, have.Duplicates, have.MaxAge}, spec.replicas,
                          spec.dedup_window.count() * k_ns_per_ms);
  for (const auto& note : plan.notes) {
    observe::warn("nats stream setting differs from the configuration",
                  {{"stream", spec.name}, {"detail", note}});
  }
  if (!plan.update) return {};
  jsStreamConfig config = have;  // its pointers stay valid while `info` lives
  config.Replicas = plan.replicas;
  config.Duplicates = plan.duplicates_ns;
  jsStreamInfo* updated = nullptr;
  s = js_UpdateStream(&updated, js, &config, nullptr, &jerr);
  handle<jsStreamInfo> done(updated);
  return s == NATS_OK ? std::error_code{} : failure_of(s, jerr);
}

std::error_code ensure_consumer(jsCtx* js, const consumer_spec& spec) {
  jsConsumerInfo* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetConsumerInfo(&raw, js, spec.stream.c_str(), spec.name.c_str(), nullptr, &jerr);
  handle<jsConsumerInfo> info(raw);
  auto config = consumer_config(spec);
  if (s == NATS_NOT_FOUND) {
    raw = nullptr;
    s = js_AddConsumer(&raw, js, spec.stream.c_str(), &config, nullptr, &jerr);
    info.reset(raw);
    return s == NATS_OK ? std::error_code{} : failure_of(s, jerr);
  }
  if (s != NATS_OK) return failure_of(s, jerr);
  const auto* have = info->Config;
  if (have != nullptr &&
      (have->AckWait != config.AckWait || have->MaxAckPending != config.MaxAckPending)) {
    // Best effort: a server that cannot change these keeps the old values,
    // which changes timing, not correctness.
    raw = nullptr;
    config.DeliverPolicy = have->DeliverPolicy;
    if (js_UpdateConsumer(&raw, js, spec.stream.c_str(), &config, nullptr, &jerr) == NATS_OK) {
      info.reset(raw);
    }
  }
  return {};
}

result<consumer_location> find_consumer(jsCtx* js, const std::string& stream_prefix,
                                        const std::string& name) {
  jsStreamNamesList* raw = nullptr;
  natsStatus s = js_StreamNames(&raw, js, nullptr, nullptr);
  handle<jsStreamNamesList> names(raw);
  if (s == NATS_NOT_FOUND) return errc::unknown_subscription;  // no streams at all
  if (s != NATS_OK) return errc::unavailable;
  for (int i = 0; i < names->Count; ++i) {
    std::string_view stream = names->List[i];
    if (stream.substr(0, stream_prefix.size()) != stream_prefix) continue;
    jsConsumerInfo* ci = nullptr;
    s = js_GetConsumerInfo(&ci, js, names->List[i], name.c_str(), nullptr, nullptr);
    handle<jsConsumerInfo> info(ci);
    if (s == NATS_NOT_FOUND) continue;
    if (s != NATS_OK) return errc::unavailable;
    consumer_location where{std::string(stream), {}};
    if (info->Config != nullptr && info->Config->FilterSubject != nullptr) {
      where.subject = info->Config->FilterSubject;
    }
    return where;
  }
  return errc::unknown_subscription;
}

result<std::uint64_t> consumer_depth(jsCtx* js, const std::string& stream,
                                     const std::string& name) {
  jsConsumerInfo* raw = nullptr;
  natsStatus s = js_GetConsumerInfo(&raw, js, stream.c_str(), name.c_str(), nullptr, nullptr);
  handle<jsConsumerInfo> info(raw);
  if (s == NATS_NOT_FOUND) return errc::unknown_subscription;
  if (s != NATS_OK) return errc::unavailable;
  auto ack_pending = info->NumAckPending > 0 ? static_cast<std::uint64_t>(info->NumAckPending) : 0;
  return info->NumPending + ack_pending;
}

std::error_code jetstream_ping(jsCtx* js, std::chrono::milliseconds timeout) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = timeout.count();
  jsAccountInfo* raw = nullptr;
  natsStatus s = js_GetAccountInfo(&raw, js, &o, nullptr);
  handle<jsAccountInfo> info(raw);
  return s == NATS_OK ? std::error_code{} : errc::unavailable;
}

}  // namespace sluice::broker::nats
