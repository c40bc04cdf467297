#include "broker/redis/connection.hpp"

#include "broker/broker.hpp"

namespace sluice::broker::redis {

result<std::unique_ptr<connection>> connection::open(const endpoint& where,
                                                     std::chrono::milliseconds connect_timeout,
                                                     std::chrono::milliseconds io_timeout) {
  auto base = sluice::redis::connection::open(where, connect_timeout, io_timeout);
  if (!base) {
    // Wrong credentials or database number stay wrong until the
    // configuration changes; a refused or lost connection may not.
    const auto e = base.error();
    const bool permanent =
        e == sluice::redis::errc::auth_refused || e == sluice::redis::errc::select_refused;
    return permanent ? errc::refused : errc::unavailable;
  }
  std::unique_ptr<connection> c(new connection(std::move(*base)));
  if (!c->load_scripts()) return errc::unavailable;
  return c;
}

bool connection::load_scripts() {
  for (std::size_t i = 0; i < k_script_count; ++i) {
    std::string_view args[] = {"SCRIPT", "LOAD", source_of(static_cast<script>(i))};
    append(args);
  }
  for (std::size_t i = 0; i < k_script_count; ++i) {
    auto r = get_reply();
    if (!r || r->type != REDIS_REPLY_STRING) return false;
    shas_[i] = std::string(text_of(r.get()));
  }
  return true;
}

std::vector<std::string_view> connection::eval_args(script s,
                                                    std::span<const std::string_view> keys,
                                                    std::span<const std::string_view> args,
                                                    std::string& numkeys) const {
  numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(shas_[static_cast<std::size_t>(s)]);
  argv.push_back(numkeys);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

void connection::append_eval(script s, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args) {
  std::string numkeys;
  append(eval_args(s, keys, args, numkeys));
}

reply_ptr connection::eval(script s, std::span<const std::string_view> keys,
                           std::span<const std::string_view> args) {
  append_eval(s, keys, args);
  auto r = get_reply();
  // SCRIPT FLUSH (or a failover to a server without them): load and retry once.
  if (error_starts_with(r.get(), "NOSCRIPT") && load_scripts()) {
    append_eval(s, keys, args);
    r = get_reply();
  }
  return r;
}

}  // namespace sluice::broker::redis
