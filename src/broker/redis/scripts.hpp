#pragma once
// The Lua scripts the Redis broker runs server-side. Each runs atomically
// (no other command interleaves) and Redis 7 writes its effects to the AOF
// wrapped in MULTI/EXEC, so a crash keeps all of a script's writes or none.
// Private to src/broker/redis/.

#include <cstddef>
#include <string_view>

namespace sluice::broker::redis {

enum class script : std::size_t {
  // KEYS: per message, its stream then its dedup key. ARGV[1] the duplicate
  // window in ms, then per message: "1"/"0" (deduplicate), the request
  // fingerprint ("" for none), the number of field/value arguments, the
  // fields and values (one of them "body"). A dedup key already holding
  // another identity (topic + fingerprint, or topic + body without one) fails
  // the whole call with "CONFLICT"; holding the same skips that message.
  // Nothing is written before every check passed.
  publish,
  // KEYS[1] stream. ARGV group, consumer, min idle ms, count.
  // XAUTOCLAIMs entries idle for the visibility timeout, then XREADGROUPs new
  // ones up to count. Returns {{id, {field, value…}, times delivered}…}.
  lease,
  // KEYS[1] stream. ARGV group, then triples (id, consumer, times delivered):
  // XACKs each entry still pending under that consumer and count.
  ack,
  // KEYS[1] stream. ARGV group, idle ms, then quadruples (id, consumer,
  // times delivered, new count): an entry still leased as given gets its idle
  // time set (so XAUTOCLAIM takes it once the rest of the timeout passed) and
  // its delivery count set to the new count.
  release,
  // KEYS[1] stream. Deletes the entries every group has acked: those before
  // the oldest pending or undelivered entry of any group (XTRIM MINID ~).
  // A stream without groups is emptied: nobody can receive its entries.
  trim,
  // KEYS[1] stream. ARGV[1] group. pending + undelivered entries of the
  // group, or -1 when there is no such group.
  depth,
};
inline constexpr std::size_t k_script_count = 6;

std::string_view source_of(script s);

}  // namespace sluice::broker::redis
