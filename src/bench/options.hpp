#pragma once
// What `sluice bench` is asked to do, and the parsing of its textual options.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::bench {

struct mix_entry {
  std::string op;     // "post" or "get"
  unsigned weight = 0;
};

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string resource = "users";
  double rate = 0;                    // requests/s; 0 = closed loop (as fast as possible)
  unsigned connections = 16;
  std::chrono::milliseconds duration{10'000};
  std::chrono::milliseconds warmup{0};
  std::uint64_t requests = 0;         // > 0: stop after this many (instead of duration)
  std::vector<mix_entry> mix = {{"post", 20}, {"get", 80}};
  unsigned batch = 1;                 // records per POST
  bool idempotency_keys = false;
  std::string get_query = "limit=10"; // query of GET /v1/{resource}?…
  unsigned freshness_every = 50;      // sample every Nth accepted POST (0 = off)
  unsigned threads = 1;
  bool progress = true;
  std::string plot_file;
};

// "30s", "500ms", "2m", "1h", or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
// "post=20,get=80"; weights must be integers and the ops known.
std::optional<std::vector<mix_entry>> parse_mix(const std::string& text);
// "http://host:port" (path ignored). False when malformed.
bool parse_url(const std::string& url, std::string& host, unsigned short& port);

// The op of each ticket in one period: ticket n performs period[n % size].
// Weights are reduced by their gcd; smooth weighted round robin spreads each
// op evenly and gives every op exactly its weight per period.
std::vector<std::string> mix_period(const std::vector<mix_entry>& mix);

// Open loop: ticket n is due at start + n / rate (so a slow server cannot slow
// the schedule down; latency counts from this intended time).
inline std::chrono::nanoseconds due_offset(double rate, std::uint64_t n) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(n) * 1e9 / rate));
}

}  // namespace sluice::bench
