// Raw acked publish rate of libnats against JetStream (file storage), the
// reference for Sluice's POST → 202 rate on the nats:// broker. Not a test.
//
//   sluice_bench_nats_publish [nats://127.0.0.1:4222] [messages=50000] [bytes=80]
//
// Creates a throw-away stream, publishes asynchronously (js_PublishAsync,
// up to 4096 PubAcks outstanding, each message with a Nats-Msg-Id like
// Sluice's), waits for every PubAck, prints msgs/s, deletes the stream.

#include <nats/nats.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::atomic<long> g_acked{0}, g_failed{0};

void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr*, void*) {
  (pa != nullptr ? g_acked : g_failed).fetch_add(1, std::memory_order_relaxed);
  natsMsg_Destroy(msg);
}

int fail(const char* what, natsStatus s) {
  std::fprintf(stderr, "%s: %s\n", what, natsStatus_GetText(s));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "nats://127.0.0.1:4222";
  const long count = argc > 2 ? std::atol(argv[2]) : 50'000;
  const int bytes = argc > 3 ? std::atoi(argv[3]) : 80;
  const std::string stream = "bench_" + std::to_string(getpid());
  const std::string subject = stream + ".publish";
  const std::string body(static_cast<std::size_t>(bytes), 'x');

  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  if (s != NATS_OK) return fail("connect", s);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 4096;
  jo.PublishAsync.AckHandler = on_ack;
  jsCtx* js = nullptr;
  if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK) return fail("jetstream", s);

  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const char* subjects[] = {subject.c_str()};
  sc.Name = stream.c_str();
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Duplicates = 120LL * 1'000'000'000;
  if ((s = js_AddStream(nullptr, js, &sc, nullptr, nullptr)) != NATS_OK)
    return fail("add stream", s);

  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < count; ++i) {
    std::string id = "bench-" + std::to_string(i);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = id.c_str();
    s = js_PublishAsync(js, subject.c_str(), body.data(), bytes, &po);
    if (s != NATS_OK) return fail("publish", s);
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = 60'000;
  if ((s = js_PublishAsyncComplete(js, &wait)) != NATS_OK) return fail("complete", s);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf(
      "nats jetstream (file) async publish, acks on: %ld msgs of %d bytes in %.3f s = %.0f msgs/s"
      " (acked %ld, failed %ld)\n",
      count, bytes, secs, static_cast<double>(count) / secs, g_acked.load(), g_failed.load());
  js_DeleteStream(js, stream.c_str(), nullptr, nullptr);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return g_failed.load() == 0 ? 0 : 1;
}
