#pragma once
// The broker's Redis connection: the shared hiredis connection (src/redis/)
// with the broker's Lua scripts loaded. Private to src/broker/redis/.
//
// Thread safety: as sluice::redis::connection (one thread at a time; only
// interrupt() from another thread).

#include <array>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/redis/scripts.hpp"
#include "core/result.hpp"
#include "redis/connection.hpp"
#include "redis/url.hpp"

namespace sluice::broker::redis {

// The shared wrapper, under this folder's names.
using sluice::redis::endpoint;
using sluice::redis::error_starts_with;
using sluice::redis::is_array;
using sluice::redis::is_error;
using sluice::redis::parse_url;
using sluice::redis::reply_ptr;
using sluice::redis::text_of;

class connection final : public sluice::redis::connection {
 public:
  // Connects, authenticates, selects the db and loads the scripts. Fails with
  // errc::unavailable.
  static result<std::unique_ptr<connection>> open(const endpoint& where,
                                                  std::chrono::milliseconds connect_timeout,
                                                  std::chrono::milliseconds io_timeout);

  // EVALSHA of a loaded script: KEYS then ARGV.
  reply_ptr eval(script s, std::span<const std::string_view> keys,
                 std::span<const std::string_view> args);
  void append_eval(script s, std::span<const std::string_view> keys,
                   std::span<const std::string_view> args);

 private:
  explicit connection(sluice::redis::connection base)
      : sluice::redis::connection(std::move(base)) {}
  bool load_scripts();
  std::vector<std::string_view> eval_args(script s, std::span<const std::string_view> keys,
                                          std::span<const std::string_view> args,
                                          std::string& numkeys) const;

  std::array<std::string, k_script_count> shas_;
};

}  // namespace sluice::broker::redis
