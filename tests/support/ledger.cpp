#include "support/ledger.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace sluice::testing {
namespace {

namespace json = boost::json;

// One keep-alive connection, no retries: the ledger must know whether a
// request may have reached the server.
class raw_http {
 public:
  raw_http(int port, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {}
  ~raw_http() { close(); }
  raw_http(const raw_http&) = delete;
  raw_http& operator=(const raw_http&) = delete;

  struct answer {
    int status = 0;
    bool sent = false, timed_out = false;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };

  answer request(const std::string& method, const std::string& target, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers) {
    answer a;
    if (fd_ < 0 && !connect()) return a;
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    std::size_t off = 0;
    while (off < req.size()) {
      auto n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        a.timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        a.sent = off > 0;
        close();
        return a;
      }
      off += static_cast<std::size_t>(n);
    }
    a.sent = true;
    if (!read_answer(a)) close();
    return a;
  }

 private:
  bool connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close();
      return false;
    }
    return true;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }
  // Reads more into buf_; false on EOF, error or timeout (noted in `a`).
  bool fill(answer& a) {
    char tmp[16384];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) a.timed_out = true;
    return false;
  }
  bool read_answer(answer& a) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(a)) return false;
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::istringstream lines(head);
    std::string line;
    std::getline(lines, line);
    if (line.size() < 12) return false;
    int status = std::atoi(line.c_str() + 9);
    std::size_t length = 0;
    bool keep = true;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string k = line.substr(0, colon);
      for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      if (k == "content-length") length = std::strtoul(v.c_str(), nullptr, 10);
      if (k == "connection" && v == "close") keep = false;
      a.headers[k] = v;
    }
    while (buf_.size() < length) {
      if (!fill(a)) return false;
    }
    a.body = buf_.substr(0, length);
    buf_.erase(0, length);
    a.status = status;
    if (!keep) close();
    return true;
  }

  int port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buf_;
};

std::string record_json(const std::string& key, unsigned name_length) {
  const std::string name = name_length == 0 ? "Ledger" : std::string(name_length, 'p');
  return R"({"name":")" + name + R"(","email":")" + key + R"("})";
}

bool is_poison(const std::string& key) {
  return key.find("-p@") != std::string::npos;
}

void classify(ledger_entry& e, const raw_http::answer& a) {
  e.status = a.status;
  e.sent = a.sent;
  e.timed_out = a.timed_out;
  e.retry_after = a.headers.count("retry-after") > 0;
  if (a.status == 202 || a.status == 201) {
    e.outcome = request_outcome::accepted;
    try {
      auto v = json::parse(a.body);
      auto take = [&e](const json::value& ack) {
        const auto& o = ack.as_object();
        const auto* id = o.if_contains("message_id");
        if (id == nullptr) id = o.if_contains("id");
        if (id != nullptr && id->is_string()) e.ids.emplace_back(id->as_string());
      };
      if (v.is_array()) {
        for (const auto& ack : v.as_array()) take(ack);
      } else {
        take(v);
      }
    } catch (const std::exception&) {
    }
  } else if (a.status >= 400 && a.status < 500) {
    e.outcome = request_outcome::refused;
  } else if (a.status >= 500) {
    e.outcome_unknown = a.body.find("\"outcome\":\"unknown\"") != std::string::npos;
    e.outcome = (e.retry_after && !e.outcome_unknown) ? request_outcome::unavailable
                                                      : request_outcome::indeterminate;
  } else {
    // No answer: nothing sent is a refusal, anything sent may have arrived.
    e.outcome = a.sent ? request_outcome::indeterminate : request_outcome::refused;
  }
}

const char* outcome_name(request_outcome o) {
  switch (o) {
    case request_outcome::accepted:
      return "accepted";
    case request_outcome::refused:
      return "refused";
    case request_outcome::unavailable:
      return "unavailable";
    case request_outcome::indeterminate:
      return "indeterminate";
  }
  return "?";
}

struct row_seen {
  int count = 0;
  std::string message_id;
};

// Every row of the resource, by email, through GET pages; false if a page
// could not be read.
bool read_rows(raw_http& h, const std::string& resource,
               std::unordered_map<std::string, row_seen>& rows,
               const std::vector<std::pair<std::string, std::string>>& headers) {
  rows.clear();
  std::int64_t after = 0;
  for (int page = 0; page < 100'000; ++page) {
    std::string target = "/v1/" + resource + "?limit=1000";
    if (after > 0) target += "&after=" + std::to_string(after);
    auto a = h.request("GET", target, {}, headers);
    if (a.status != 200) return false;
    json::value v;
    try {
      v = json::parse(a.body);
    } catch (const std::exception&) {
      return false;
    }
    const auto& arr = v.as_array();
    for (const auto& row : arr) {
      const auto& o = row.as_object();
      auto& seen = rows[std::string(o.at("email").as_string())];
      ++seen.count;
      seen.message_id = std::string(o.at("message_id").as_string());
      after = o.at("id").to_number<std::int64_t>();
    }
    if (arr.size() < 1000) return true;
  }
  return false;
}

// GET /v1/messages/{id}: "stored", "dead_lettered", "pending", or "" when unreadable.
std::string message_state(raw_http& h, const std::string& id,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  auto a = h.request("GET", "/v1/messages/" + id, {}, headers);
  if (a.status == 404) return "unknown";
  if (a.status != 200) return "";
  try {
    return std::string(json::parse(a.body).at("status").as_string());
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

std::string ledger_report::summary() const {
  std::ostringstream s;
  s << "requests=" << requests << " accepted=" << accepted << " lost=" << lost
    << " doubled=" << doubled << " phantom=" << phantom << " indeterminate=" << indeterminate
    << " (stored " << indeterminate_stored << ") dead_lettered=" << dead_lettered
    << " poison=" << poison_accepted << " (stored " << poison_stored << ")"
    << " 5xx=" << server_errors << " 5xx_without_retry_after=" << no_retry_after
    << " refused=" << refused << " unavailable=" << unavailable << " timeouts=" << timeouts
    << " longest_gap_ms=" << static_cast<long>(longest_gap_ms)
    << " settled=" << (settled ? "yes" : "no");
  for (const auto& p : problems) s << "\n  " << p;
  return s.str();
}

ledger::ledger(ledger_options o) : opt_(std::move(o)) {}

ledger::~ledger() {
  stop();
}

double ledger::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
}

void ledger::start() {
  t0_ = std::chrono::steady_clock::now();
  running_ = true;
  for (unsigned c = 0; c < opt_.connections; ++c)
    threads_.emplace_back([this, c] { run_connection(c); });
}

void ledger::stop() {
  running_ = false;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool ledger::wait_successes(std::uint64_t since, std::uint64_t n,
                            std::chrono::milliseconds limit) const {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (successes_.load() < since + n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void ledger::run_connection(unsigned c) {
  raw_http h(opt_.port, opt_.client_timeout);
  std::uint64_t records = 0;
  std::vector<ledger_entry> mine;
  for (std::uint64_t seq = 0; running_; ++seq) {
    ledger_entry e;
    e.connection = c;
    e.seq = seq;
    const bool array = seq % 2 == 1 && opt_.array_size > 1;
    const unsigned n = array ? opt_.array_size : 1;
    std::string body = array ? "[" : "";
    for (unsigned i = 0; i < n; ++i) {
      const bool poison = opt_.poison_every > 0 && ++records % opt_.poison_every == 0;
      e.keys.push_back(opt_.tag + "-" + std::to_string(c) + "-" + std::to_string(seq) + "-" +
                       std::to_string(i) + (poison ? "-p" : "") + "@ledger.test");
      if (i > 0) body += ",";
      body += record_json(e.keys.back(), poison ? opt_.poison_name_length : 0);
    }
    if (array) body += "]";
    e.start_ms = now_ms();
    auto a = h.request("POST", "/v1/" + opt_.resource, body, opt_.headers);
    e.end_ms = now_ms();
    classify(e, a);
    if (e.outcome == request_outcome::accepted) ++successes_;
    const bool back_off = (a.status == 0 && !a.sent) || a.status >= 500;
    mine.push_back(std::move(e));
    // A server that is down or refusing: do not spin (a client honouring
    // Retry-After would wait longer still).
    if (back_off) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (opt_.pause.count() > 0) std::this_thread::sleep_for(opt_.pause);
  }
  std::lock_guard lock(mu_);
  for (auto& e : mine) entries_.push_back(std::move(e));
}

double ledger::first_success_after(double ms) const {
  double best = -1;
  for (const auto& e : entries_) {
    if (e.outcome == request_outcome::accepted && e.end_ms >= ms && (best < 0 || e.end_ms < best)) {
      best = e.end_ms;
    }
  }
  return best;
}

ledger_report ledger::verify(int port, std::chrono::milliseconds settle) {
  ledger_report r;
  std::sort(entries_.begin(), entries_.end(),
            [](const auto& a, const auto& b) { return a.end_ms < b.end_ms; });
  // Accepted records: key → message id (the ack's, in order).
  std::unordered_map<std::string, std::string> accepted;
  double last_success = 0, end = 0;
  for (const auto& e : entries_) {
    ++r.requests;
    end = std::max(end, e.end_ms);
    if (e.status >= 500) {
      ++r.server_errors;
      if (!e.retry_after) ++r.no_retry_after;
    }
    if (e.timed_out) ++r.timeouts;
    switch (e.outcome) {
      case request_outcome::accepted:
        r.longest_gap_ms = std::max(r.longest_gap_ms, e.end_ms - last_success);
        last_success = e.end_ms;
        for (std::size_t i = 0; i < e.keys.size(); ++i) {
          accepted[e.keys[i]] = i < e.ids.size() ? e.ids[i] : std::string();
        }
        break;
      case request_outcome::refused:
        ++r.refused;
        break;
      case request_outcome::unavailable:
        ++r.unavailable;
        break;
      case request_outcome::indeterminate:
        r.indeterminate += e.keys.size();
        break;
    }
  }
  r.longest_gap_ms = std::max(r.longest_gap_ms, end - last_success);
  r.accepted = accepted.size();

  raw_http h(port, std::chrono::milliseconds(10'000));
  std::unordered_map<std::string, row_seen> rows;
  std::set<std::string> dead;  // accepted keys whose message is dead-lettered
  auto deadline = std::chrono::steady_clock::now() + settle;
  for (;;) {
    bool read = read_rows(h, opt_.resource, rows, opt_.verify_headers);
    std::vector<std::string> missing;
    if (read) {
      for (const auto& [key, id] : accepted) {
        if (!rows.count(key) && !dead.count(key)) missing.push_back(key);
      }
      // Few left: ask where they are (a dead letter is an outcome too).
      if (!missing.empty() && missing.size() <= 2000) {
        std::vector<std::string> still;
        for (const auto& key : missing) {
          const auto& id = accepted[key];
          if (!id.empty() && message_state(h, id, opt_.verify_headers) == "dead_lettered") {
            dead.insert(key);
          } else {
            still.push_back(key);
          }
        }
        missing.swap(still);
      }
      if (missing.empty()) {
        r.settled = true;
        break;
      }
    }
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  auto note = [&r](const std::string& what) {
    if (r.problems.size() < 10) r.problems.push_back(what);
  };
  r.dead_lettered = dead.size();
  for (const auto& [key, id] : accepted) {
    auto it = rows.find(key);
    const int n = it == rows.end() ? 0 : it->second.count;
    if (is_poison(key)) {
      ++r.poison_accepted;
      if (n > 0) ++r.poison_stored;
    }
    if (n == 0 && !dead.count(key)) {
      ++r.lost;
      note("lost: " + key + " (" + id + ")");
    } else if (n > 1 || (n == 1 && dead.count(key))) {
      ++r.doubled;
      note("doubled: " + key + " (" + std::to_string(n) + " rows)");
    } else if (n == 1 && !id.empty() && it->second.message_id != id) {
      ++r.doubled;  // a row, but of another message with this record's key
      note("row of another message: " + key);
    }
  }
  for (const auto& e : entries_) {
    if (e.outcome == request_outcome::accepted) continue;
    for (const auto& key : e.keys) {
      auto it = rows.find(key);
      const int n = it == rows.end() ? 0 : it->second.count;
      if (e.outcome == request_outcome::indeterminate) {
        if (n == 1) ++r.indeterminate_stored;
        if (n > 1) {
          ++r.doubled;
          note("indeterminate doubled: " + key);
        }
      } else if (n > 0) {
        ++r.phantom;
        note(std::string("phantom (") + outcome_name(e.outcome) + " " + std::to_string(e.status) +
             "): " + key);
      }
    }
  }
  return r;
}

void ledger::write(const std::filesystem::path& file) const {
  std::ofstream out(file);
  for (const auto& e : entries_) {
    json::object o{{"conn", e.connection},
                   {"seq", e.seq},
                   {"start_ms", e.start_ms},
                   {"end_ms", e.end_ms},
                   {"status", e.status},
                   {"sent", e.sent},
                   {"timed_out", e.timed_out},
                   {"retry_after", e.retry_after},
                   {"outcome_unknown", e.outcome_unknown},
                   {"outcome", outcome_name(e.outcome)}};
    json::array keys, ids;
    for (const auto& k : e.keys) keys.emplace_back(k);
    for (const auto& i : e.ids) ids.emplace_back(i);
    o["keys"] = std::move(keys);
    o["ids"] = std::move(ids);
    out << json::serialize(o) << "\n";
  }
}

void record_drill_row(const std::string& drill, const std::string& backend, const ledger_report& r,
                      const std::string& fault_window, const std::string& recovery,
                      const std::string& note, bool passed) {
  const char* path = std::getenv("SLUICE_FAULTS_RESULTS");
  if (path == nullptr || *path == '\0') return;
  std::ofstream out(path, std::ios::app);
  out << "| " << drill << " | " << backend << " | " << r.requests << " | " << r.accepted << " | "
      << r.lost << " | " << r.doubled << " | " << r.phantom << " | " << r.indeterminate << " ("
      << r.indeterminate_stored << " stored) | " << r.dead_lettered << " | " << r.no_retry_after
      << " / " << r.server_errors << " | " << static_cast<long>(r.longest_gap_ms) << " ms | "
      << fault_window << " | " << recovery << " | " << (passed ? "pass" : "FAIL")
      << (note.empty() ? "" : " — " + note) << " |\n";
}

bool full_drills() {
  const char* v = std::getenv("SLUICE_FAULTS_FULL");
  return v != nullptr && std::string(v) == "1";
}

}  // namespace sluice::testing
