#include "broker/nats/duplicates.hpp"

#include <charconv>
#include <string_view>

#include "broker/nats/codec.hpp"
#include "broker/nats/handles.hpp"

namespace sluice::broker::nats {
namespace {

// The value after `"key":` (whitespace allowed around the colon), or "".
std::string_view json_value(std::string_view body, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  auto at = body.find(quoted);
  if (at == std::string_view::npos) return {};
  auto rest = body.substr(at + quoted.size());
  auto skip = [&] {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  };
  skip();
  if (rest.empty() || rest.front() != ':') return {};
  rest.remove_prefix(1);
  skip();
  return rest;
}

}  // namespace

std::optional<std::uint64_t> duplicate_of(natsMsg* reply) {
  if (!puback_ok(reply)) return std::nullopt;
  std::string_view body(natsMsg_GetData(reply),
                        static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
  // {"stream":"S","seq":7,"duplicate": true}: the nats-server 2.9 form.
  if (json_value(body, "duplicate").substr(0, 4) != "true") return std::nullopt;
  auto seq = json_value(body, "seq");
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), n);
  if (ec != std::errc() || end == seq.data()) return std::nullopt;
  return n;
}

bool same_message(natsMsg* kept, const message& m) {
  const auto held = decode(kept, m.topic);
  if (held.id != m.id || held.topic != m.topic) return false;
  const auto fingerprint = fingerprint_of(kept);
  if (fingerprint != encode_fingerprint(m.fingerprint)) return false;
  return !m.fingerprint.empty() || held.body == m.body;
}

std::error_code judge_duplicate(jsCtx* js, const std::string& stream, std::uint64_t seq,
                                const message& m) {
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&raw, js, stream.c_str(), seq, nullptr, &jerr);
  handle<natsMsg> kept(raw);
  // Interest retention removed it once every subscription acked it: the id
  // is still in the window, the message is gone, and there is nothing left to
  // compare with. Taken as the retry it most likely is.
  if (s != NATS_OK && jerr == JSNoMessageFoundErr) return {};
  if (s != NATS_OK || !kept) return errc::unavailable;
  return same_message(kept.get(), m) ? std::error_code{} : make_error_code(errc::conflict);
}

}  // namespace sluice::broker::nats
