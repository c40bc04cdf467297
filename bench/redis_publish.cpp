// Raw acked publish rate of hiredis against Redis Streams with AOF, the
// reference for Sluice's POST → 202 rate on the redis:// broker. Not a test.
//
//   sluice_bench_redis_publish [host=127.0.0.1] [port=6379] [messages=50000] [bytes=80] [window=512]
//
// XADDs to a throw-away stream, pipelined with up to `window` commands
// outstanding (each XADD carries an id field like Sluice's), counts the
// replies (a reply comes after the AOF write, and fsync with appendfsync
// always), prints msgs/s with the server's appendonly/appendfsync, deletes
// the stream.

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::string config_get(redisContext* c, const char* key) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "CONFIG GET %s", key));
  std::string v = "?";
  if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2) v = r->element[1]->str;
  if (r != nullptr) freeReplyObject(r);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string host = argc > 1 ? argv[1] : "127.0.0.1";
  const int port = argc > 2 ? std::atoi(argv[2]) : 6379;
  const long count = argc > 3 ? std::atol(argv[3]) : 50'000;
  const int bytes = argc > 4 ? std::atoi(argv[4]) : 80;
  const long window = argc > 5 ? std::atol(argv[5]) : 512;
  const std::string stream = "bench:" + std::to_string(getpid());
  const std::string body(static_cast<std::size_t>(bytes), 'x');

  redisContext* c = redisConnect(host.c_str(), port);
  if (c == nullptr || c->err != 0) {
    std::fprintf(stderr, "connect: %s\n", c != nullptr ? c->errstr : "out of memory");
    return 1;
  }
  const auto aof = config_get(c, "appendonly");
  const auto fsync = config_get(c, "appendfsync");

  long sent = 0, acked = 0, failed = 0;
  const auto start = std::chrono::steady_clock::now();
  while (acked + failed < count) {
    while (sent < count && sent - acked - failed < window) {
      const std::string id = "00000000-0000-7000-8000-" + std::to_string(100000000000 + sent);
      redisAppendCommand(c, "XADD %s * id %s body %b", stream.c_str(), id.c_str(), body.data(),
                         body.size());
      ++sent;
    }
    void* reply = nullptr;
    if (redisGetReply(c, &reply) != REDIS_OK) {
      std::fprintf(stderr, "reply: %s\n", c->errstr);
      return 1;
    }
    auto* r = static_cast<redisReply*>(reply);
    (r->type == REDIS_REPLY_ERROR ? failed : acked) += 1;
    freeReplyObject(r);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("redis XADD pipelined (window %ld, appendonly %s, appendfsync %s): %ld msgs of %d B "
              "in %.2f s = %.0f msgs/s (%ld failed)\n",
              window, aof.c_str(), fsync.c_str(), acked, bytes, s, static_cast<double>(acked) / s,
              failed);
  freeReplyObject(redisCommand(c, "DEL %s", stream.c_str()));
  redisFree(c);
  return failed == 0 ? 0 : 1;
}
