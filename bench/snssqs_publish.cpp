// Raw acked SNS PublishBatch rate of Sluice's own AWS client (src/aws/client,
// the broker's link and codec) against an endpoint: the ceiling for Sluice's
// POST → 202 over sns+sqs in `make bench`. Creates a topic and a subscribed
// queue (so SNS fans out, as for Sluice), then publishes N messages of BYTES
// bytes, 10 per PublishBatch, INFLIGHT calls at once, counting only entries
// SNS gave a MessageId. Not a test.
//
//   sluice_bench_snssqs_publish ENDPOINT [N] [BYTES] [INFLIGHT]
// Credentials: the AWS chain (tests and bench set AWS_ACCESS_KEY_ID/…).

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "broker/snssqs/codec.hpp"
#include "broker/snssqs/link.hpp"
#include "broker/snssqs/topology.hpp"

using namespace sluice;
using namespace sluice::broker::snssqs;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ENDPOINT [N] [BYTES] [INFLIGHT]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  const long count = argc > 2 ? std::atol(argv[2]) : 20000;
  const int bytes = argc > 3 ? std::atoi(argv[3]) : 80;
  const std::size_t inflight = argc > 4 ? static_cast<std::size_t>(std::atoi(argv[4])) : 32;
  auto l = link::open({.region = "us-east-1", .endpoint = endpoint}, aws::default_chain());
  if (!l) {
    std::fprintf(stderr, "%s\n", l.message().c_str());
    return 1;
  }
  const std::string name = "bench-raw-" + std::to_string(getpid());
  const auto timeout = std::chrono::milliseconds(10'000);
  auto arn = ensure_topic(**l, name, false, timeout);
  auto q = arn ? ensure_queue(**l, name, false, std::chrono::seconds(30), timeout)
               : result<queue_ref>(arn.why());
  if (!arn || !q || ensure_subscription(**l, *arn, *q, timeout).code) {
    std::fprintf(stderr, "topology: %s\n",
                 arn ? (q ? "subscribe failed" : q.message().c_str()) : arn.message().c_str());
    return 1;
  }
  std::vector<sluice::broker::message> msgs(10);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    msgs[i].id = "0190a0b0-0000-7000-8000-" + std::to_string(100000000000 + i);
    msgs[i].topic = "bench";
    msgs[i].body = "{\"name\":\"" +
                   std::string(static_cast<std::size_t>(std::max(bytes - 11, 1)), 'x') + "\"}";
    msgs[i].accepted_at_us = 1;
    msgs[i].headers = {{"content-type", "application/json"}};
  }
  std::vector<const sluice::broker::message*> entries;
  for (const auto& m : msgs) entries.push_back(&m);
  const auto p = publish_batch(*arn, entries, {});

  std::mutex mu;
  std::condition_variable cv;
  std::size_t running = 0;
  long sent = 0;
  std::atomic<long> acked{0}, failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mu);
  while (sent < count || running > 0) {
    while (sent < count && running < inflight) {
      ++running;
      sent += 10;
      lock.unlock();
      (*l)->sns(p, timeout, [&](result<aws::response> r) {
        long ok = 0;
        if (r && r->ok()) ok = static_cast<long>(parse_publish_batch(r->body).succeeded.size());
        acked += ok;
        failed += 10 - ok;
        std::lock_guard inner(mu);
        --running;
        cv.notify_one();
      });
      lock.lock();
    }
    cv.wait(lock, [&] { return (sent < count && running < inflight) || running == 0; });
  }
  lock.unlock();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "sns PublishBatch (10 per call, %zu calls in flight), acked: %ld msgs of %d bytes in %.3f s "
      "= "
      "%.0f msgs/s (acked %ld, failed %ld)\n",
      inflight, sent, bytes, secs, static_cast<double>(acked.load()) / secs, acked.load(),
      failed.load());
  return failed.load() == 0 ? 0 : 1;
}
