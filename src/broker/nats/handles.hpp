#pragma once
// RAII owners for libnats handles. Private to src/broker/nats/.

#include <nats/nats.h>

#include <memory>

namespace sluice::broker::nats {

struct handle_deleter {
  void operator()(natsOptions* p) const { natsOptions_Destroy(p); }
  void operator()(natsConnection* p) const { natsConnection_Destroy(p); }
  void operator()(jsCtx* p) const { jsCtx_Destroy(p); }
  void operator()(natsSubscription* p) const { natsSubscription_Destroy(p); }
  void operator()(natsMsg* p) const { natsMsg_Destroy(p); }
  void operator()(jsMsgMetaData* p) const { jsMsgMetaData_Destroy(p); }
  void operator()(jsStreamInfo* p) const { jsStreamInfo_Destroy(p); }
  void operator()(jsConsumerInfo* p) const { jsConsumerInfo_Destroy(p); }
  void operator()(jsStreamNamesList* p) const { jsStreamNamesList_Destroy(p); }
  void operator()(jsAccountInfo* p) const { jsAccountInfo_Destroy(p); }
  void operator()(kvStore* p) const { kvStore_Destroy(p); }
  void operator()(kvEntry* p) const { kvEntry_Destroy(p); }
};

template <class T>
using handle = std::unique_ptr<T, handle_deleter>;

// A fetched batch; destroys every message still in it.
struct msg_list {
  natsMsgList list{};
  msg_list() = default;
  msg_list(const msg_list&) = delete;
  msg_list& operator=(const msg_list&) = delete;
  ~msg_list() { natsMsgList_Destroy(&list); }
};

}  // namespace sluice::broker::nats
