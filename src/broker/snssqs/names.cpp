#include "broker/snssqs/names.hpp"

#include <cstdint>

namespace sluice::broker::snssqs {
namespace {

constexpr std::string_view k_fifo = ".fifo";

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string joined(std::string_view name_space, std::string_view name, bool fifo, std::size_t max) {
  std::string whole(name_space);
  whole += '-';
  whole += name;
  auto base = sanitise(whole, fifo ? max - k_fifo.size() : max);
  if (fifo) base += k_fifo;
  return base;
}

}  // namespace

std::string sanitise(std::string_view name, std::size_t max) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    out += ok ? c : '_';
  }
  if (out.empty()) out.push_back('_');
  if (out.size() > max) {
    static constexpr char k_hex[] = "0123456789abcdef";
    const auto h = fnv1a(name);
    std::string tail = "-";
    for (int shift = 28; shift >= 0; shift -= 4) tail.push_back(k_hex[(h >> shift) & 15]);
    out = out.substr(0, max > tail.size() ? max - tail.size() : 0) + tail;
  }
  return out;
}

std::string topic_name(std::string_view name_space, std::string_view topic, bool fifo) {
  return joined(name_space, topic, fifo, k_max_topic_name);
}

std::string queue_name(std::string_view name_space, std::string_view subscription, bool fifo) {
  return joined(name_space, subscription, fifo, k_max_queue_name);
}

std::string group_id(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 128)) out += (c >= 33 && c <= 126) ? c : '_';
  return out.empty() ? std::string("_") : out;
}

}  // namespace sluice::broker::snssqs
