#include "broker/snssqs/codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "aws/sigv4.hpp"
#include "broker/snssqs/names.hpp"
#include "core/hex.hpp"

namespace sluice::broker::snssqs {
namespace {

namespace json = boost::json;

constexpr std::size_t k_max_attributes = 10;
constexpr std::string_view k_prefix = "sluice-";

std::string unhex(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// AWS attribute names: [A-Za-z0-9_.-], ≤ 256, no leading/trailing or double
// '.', not starting with "AWS." or "Amazon." (any case).
bool attribute_name_ok(std::string_view n) {
  if (n.empty() || n.size() > 256 || n.front() == '.' || n.back() == '.') return false;
  if (n.find("..") != std::string_view::npos) return false;
  auto lower = [](std::string_view s) {
    std::string l(s);
    for (auto& c : l) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return l;
  };
  auto l = lower(n);
  if (l.starts_with("aws.") || l.starts_with("amazon.")) return false;
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

template <class T>
T number(std::string_view s, T fallback) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() ? v : fallback;
}

std::string_view string_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return v->get_string();
}

std::string xml_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    auto semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s.substr(i);
      break;
    }
    auto entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp")
      out += '&';
    else if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "quot")
      out += '"';
    else if (entity == "apos")
      out += '\'';
    else if (entity.starts_with("#")) {
      unsigned code = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')
                          ? number<unsigned>(entity.substr(2), '?')
                          : number<unsigned>(entity.substr(1), '?');
      if (code < 0x80)
        out += static_cast<char>(code);
      else
        out += '?';
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

// Each <member>…</member> inside the first <section>…</section>.
std::vector<std::string_view> members(std::string_view xml, std::string_view section) {
  std::vector<std::string_view> out;
  std::string open = "<" + std::string(section) + ">", close = "</" + std::string(section) + ">";
  auto at = xml.find(open);
  if (at == std::string_view::npos) return out;
  auto end = xml.find(close, at);
  if (end == std::string_view::npos) return out;
  auto body = xml.substr(at + open.size(), end - at - open.size());
  for (std::size_t pos = 0;;) {
    auto m = body.find("<member>", pos);
    if (m == std::string_view::npos) break;
    auto me = body.find("</member>", m);
    if (me == std::string_view::npos) break;
    out.push_back(body.substr(m + 8, me - m - 8));
    pos = me + 9;
  }
  return out;
}

}  // namespace

std::vector<attribute> attributes_of(const message& m, std::uint32_t spent, std::uint32_t copy) {
  std::vector<attribute> out;
  out.push_back({"sluice-id", "String", m.id});
  out.push_back({"sluice-topic", "String", m.topic});
  out.push_back({"sluice-accepted-at", "Number", std::to_string(m.accepted_at_us)});
  if (!m.fingerprint.empty()) {
    out.push_back({"sluice-fingerprint", "String", to_hex(m.fingerprint)});
  }
  if (copy > 0) {
    out.push_back({"sluice-spent", "Number", std::to_string(spent)});
    out.push_back({"sluice-copy", "Number", std::to_string(copy)});
  }
  for (const auto& [name, value] : m.headers) {
    if (out.size() >= k_max_attributes) break;
    if (value.empty() || !attribute_name_ok(name) || name.starts_with(k_prefix)) continue;
    out.push_back({name, "String", value});
  }
  return out;
}

std::size_t encoded_size(const message& m) {
  std::size_t n = m.body.size();
  for (const auto& a : attributes_of(m, UINT32_MAX, UINT32_MAX)) {
    n += a.name.size() + a.type.size() + a.value.size();
  }
  return n;
}

std::string group_of(const message& m, const std::string& field) {
  if (!field.empty()) {
    boost::system::error_code ec;
    auto v = json::parse(m.body, ec);
    if (!ec && v.is_object()) {
      if (const auto* f = v.as_object().if_contains(field); f != nullptr && !f->is_null()) {
        return group_id(f->is_string() ? std::string(f->get_string()) : json::serialize(*f));
      }
    }
  }
  return group_id(m.topic);
}

std::string form_encode(const params& p) {
  // Form values in the RFC 3986 encoding the signer uses (aws/sigv4.hpp).
  std::string out;
  for (const auto& [k, v] : p) {
    if (!out.empty()) out += '&';
    out += aws::uri_encode(k);
    out += '=';
    out += aws::uri_encode(v);
  }
  return out;
}

std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  auto at = xml.find(open);
  if (at == std::string_view::npos) return std::nullopt;
  auto end = xml.find(close, at);
  if (end == std::string_view::npos) return std::nullopt;
  return xml_unescape(xml.substr(at + open.size(), end - at - open.size()));
}

params publish_batch(const std::string& topic_arn, std::span<const message* const> entries,
                     const fifo_format& f) {
  params p = {{"Action", "PublishBatch"}, {"Version", "2010-03-31"}, {"TopicArn", topic_arn}};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const message& m = *entries[i];
    const std::string e = "PublishBatchRequestEntries.member." + std::to_string(i + 1) + ".";
    p.emplace_back(e + "Id", std::to_string(i));
    p.emplace_back(e + "Message", m.body);
    if (f.fifo) {
      p.emplace_back(e + "MessageGroupId", group_of(m, f.group_field));
      p.emplace_back(e + "MessageDeduplicationId", m.id);
    }
    auto attrs = attributes_of(m);
    for (std::size_t a = 0; a < attrs.size(); ++a) {
      const std::string ae = e + "MessageAttributes.entry." + std::to_string(a + 1) + ".";
      p.emplace_back(ae + "Name", attrs[a].name);
      p.emplace_back(ae + "Value.DataType", attrs[a].type);
      p.emplace_back(ae + "Value.StringValue", attrs[a].value);
    }
  }
  return p;
}

batch_answer parse_publish_batch(std::string_view xml) {
  batch_answer out;
  for (auto m : members(xml, "Successful")) {
    auto id = xml_text(m, "Id");
    auto mid = xml_text(m, "MessageId");
    if (id && mid && !mid->empty()) out.succeeded.push_back(*id);
  }
  for (auto m : members(xml, "Failed")) {
    auto id = xml_text(m, "Id");
    if (id) out.failed.emplace_back(*id, xml_text(m, "Code").value_or(""));
  }
  return out;
}

std::vector<received> parse_receive(std::string_view text) {
  std::vector<received> out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  const auto* list = v.as_object().if_contains("Messages");
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& item : list->as_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.as_object();
    received r;
    r.handle = std::string(string_of(o, "ReceiptHandle"));
    if (r.handle.empty()) continue;
    r.msg.body = std::string(string_of(o, "Body"));
    if (const auto* a = o.if_contains("Attributes"); a != nullptr && a->is_object()) {
      r.receive_count = std::max<std::uint32_t>(
          1, number<std::uint32_t>(string_of(a->as_object(), "ApproximateReceiveCount"), 1));
      r.group = std::string(string_of(a->as_object(), "MessageGroupId"));
    }
    if (const auto* a = o.if_contains("MessageAttributes"); a != nullptr && a->is_object()) {
      for (const auto& [key, val] : a->as_object()) {
        if (!val.is_object()) continue;
        std::string value(string_of(val.as_object(), "StringValue"));
        std::string_view name = key;
        if (name == "sluice-id")
          r.msg.id = value;
        else if (name == "sluice-topic")
          r.msg.topic = value;
        else if (name == "sluice-accepted-at")
          r.msg.accepted_at_us = number<std::int64_t>(value, 0);
        else if (name == "sluice-fingerprint")
          r.msg.fingerprint = unhex(value);
        else if (name == "sluice-spent")
          r.spent = number<std::uint32_t>(value, 0);
        else if (name == "sluice-copy")
          r.copy = number<std::uint32_t>(value, 0);
        else if (!name.starts_with(k_prefix))
          r.msg.headers.emplace_back(std::string(name), value);
      }
    }
    if (r.msg.id.empty()) r.msg.id = std::string(string_of(o, "MessageId"));  // not Sluice's
    out.push_back(std::move(r));
  }
  return out;
}

std::string make_receipt(const received& r) {
  return std::to_string(r.spent) + "\n" + std::to_string(r.copy) + "\n" + r.group + "\n" + r.handle;
}

std::optional<receipt> parse_receipt(std::string_view s) {
  receipt r;
  std::string_view parts[3];
  for (auto& part : parts) {
    auto nl = s.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    part = s.substr(0, nl);
    s.remove_prefix(nl + 1);
  }
  r.spent = number<std::uint32_t>(parts[0], 0);
  r.copy = number<std::uint32_t>(parts[1], 0);
  r.group = std::string(parts[2]);
  r.handle = std::string(s);
  if (r.handle.empty()) return std::nullopt;
  return r;
}

json::object copy_batch(const std::string& queue_url, std::span<const delivery> deliveries,
                        unsigned delay_s, bool fifo) {
  json::array entries;
  for (std::size_t i = 0; i < deliveries.size(); ++i) {
    const auto& d = deliveries[i];
    auto r = parse_receipt(d.receipt);
    const std::uint32_t copy = (r ? r->copy : 0) + 1;
    // This delivery does not count: the copy has spent one attempt less.
    const std::uint32_t spent = d.attempt > 0 ? d.attempt - 1 : 0;
    json::object attrs;
    for (const auto& a : attributes_of(d.msg, spent, copy)) {
      attrs[a.name] = json::object{{"DataType", a.type}, {"StringValue", a.value}};
    }
    json::object e{{"Id", std::to_string(i)},
                   {"MessageBody", d.msg.body},
                   {"MessageAttributes", std::move(attrs)}};
    if (fifo) {
      e["MessageGroupId"] = r && !r->group.empty() ? r->group : group_id(d.msg.topic);
      // Deterministic per copy: a retried send is dropped by SQS, not doubled.
      e["MessageDeduplicationId"] = d.msg.id.substr(0, 100) + "." + std::to_string(copy);
    } else {
      e["DelaySeconds"] = delay_s;
    }
    entries.push_back(std::move(e));
  }
  return json::object{{"QueueUrl", queue_url}, {"Entries", std::move(entries)}};
}

batch_answer parse_sqs_batch(std::string_view text) {
  batch_answer out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  const auto& o = v.as_object();
  if (const auto* s = o.if_contains("Successful"); s != nullptr && s->is_array()) {
    for (const auto& e : s->as_array()) {
      if (e.is_object()) out.succeeded.emplace_back(string_of(e.as_object(), "Id"));
    }
  }
  if (const auto* f = o.if_contains("Failed"); f != nullptr && f->is_array()) {
    for (const auto& e : f->as_array()) {
      if (e.is_object()) {
        out.failed.emplace_back(std::string(string_of(e.as_object(), "Id")),
                                std::string(string_of(e.as_object(), "Code")));
      }
    }
  }
  return out;
}

}  // namespace sluice::broker::snssqs
