#include "broker/nats/attempt_ledger.hpp"

#include <algorithm>
#include <charconv>

namespace sluice::broker::nats {

std::string attempt_ledger::key(std::string_view consumer, std::uint64_t stream_seq) {
  std::string k(consumer);
  k += '.';
  k += std::to_string(stream_seq);
  return k;
}

kvStore* attempt_ledger::bucket(jsCtx* js) {
  std::lock_guard lock(mu_);
  if (kv_) return kv_.get();
  kvStore* raw = nullptr;
  natsStatus s = js_KeyValue(&raw, js, options_.bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig c;
    kvConfig_Init(&c);
    c.Bucket = options_.bucket.c_str();
    c.History = 1;
    // Nanoseconds: libnats hands TTL to the stream's MaxAge unconverted.
    c.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.ttl).count();
    c.StorageType = js_FileStorage;
    c.Replicas = options_.replicas;
    raw = nullptr;
    s = js_CreateKeyValue(&raw, js, &c);
    if (s != NATS_OK) {
      // Another process may have created it meanwhile.
      raw = nullptr;
      s = js_KeyValue(&raw, js, options_.bucket.c_str());
    }
  }
  if (s != NATS_OK) return nullptr;
  kv_.reset(raw);
  return raw;
}

result<std::uint32_t> attempt_ledger::attempt(jsCtx* js, std::string_view consumer,
                                              std::uint64_t stream_seq, std::uint64_t delivered) {
  std::uint64_t uncounted = 0;
  if (delivered > 1) {  // a first delivery has no uncounted release behind it
    kvStore* kv = bucket(js);
    if (kv == nullptr) return errc::unavailable;
    kvEntry* raw = nullptr;
    natsStatus s = kvStore_Get(&raw, kv, key(consumer, stream_seq).c_str());
    handle<kvEntry> entry(raw);
    if (s == NATS_OK) {
      std::string_view v = kvEntry_ValueString(entry.get());
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), uncounted);
      if (ec != std::errc() || end != v.data() + v.size()) uncounted = 0;  // not ours
    } else if (s != NATS_NOT_FOUND) {
      return errc::unavailable;
    }
  }
  std::uint64_t a = delivered > uncounted ? delivered - uncounted : 1;
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(a, 1, UINT32_MAX));
}

std::error_code attempt_ledger::uncount(jsCtx* js, std::string_view consumer,
                                        std::uint64_t stream_seq, std::uint64_t delivered,
                                        std::uint32_t attempt) {
  kvStore* kv = bucket(js);
  if (kv == nullptr) return errc::unavailable;
  // Deliveries so far that did not count, this one included.
  std::uint64_t uncounted = (delivered > attempt ? delivered - attempt : 0) + 1;
  std::string value = std::to_string(uncounted);
  std::uint64_t rev = 0;
  natsStatus s = kvStore_PutString(&rev, kv, key(consumer, stream_seq).c_str(), value.c_str());
  return s == NATS_OK ? std::error_code{} : make_error_code(errc::unavailable);
}

void attempt_ledger::forget(jsCtx* js, std::string_view consumer, std::uint64_t stream_seq) {
  kvStore* kv = bucket(js);
  if (kv == nullptr) return;
  (void)kvStore_Purge(kv, key(consumer, stream_seq).c_str(), nullptr);
}

}  // namespace sluice::broker::nats
