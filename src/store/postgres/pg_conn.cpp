#include "store/postgres/pg_conn.hpp"

#include <poll.h>

namespace sluice::store::pg {

std::vector<const char*> params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) {
    out.push_back(nulls_[i] ? nullptr : values_[i].c_str());
  }
  return out;
}

std::string_view sqlstate(const PGresult* r) {
  const char* s = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return s == nullptr ? std::string_view() : std::string_view(s);
}

std::string error_message(const PGresult* r, const PGconn* c) {
  const char* m = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  if (m != nullptr) return m;
  std::string s = PQerrorMessage(c);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool ok(const PGresult* r) {
  if (r == nullptr) return false;
  auto st = PQresultStatus(r);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

std::unique_ptr<connection> connection::open(const std::vector<std::string>& keys,
                                             const std::vector<std::string>& values,
                                             std::string& error) {
  std::vector<const char*> k, v;
  for (const auto& s : keys) k.push_back(s.c_str());
  for (const auto& s : values) v.push_back(s.c_str());
  k.push_back(nullptr);
  v.push_back(nullptr);
  // expand_dbname=1: the first "dbname" value is the URL, later keywords
  // (password, timeouts, options) override what it says.
  std::unique_ptr<connection> c(new connection(PQconnectdbParams(k.data(), v.data(), 1)));
  if (c->c_ == nullptr || c->broken()) {
    error = c->c_ ? error_message(nullptr, c->c_.get()) : "out of memory";
    return nullptr;
  }
  // Notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(c->c_.get(), [](void*, const char*) {}, nullptr);
  // Non-blocking: a pipeline of many statements must never deadlock on full
  // socket buffers, and every wait below is bounded by a deadline.
  if (PQsetnonblocking(c->c_.get(), 1) != 0) {
    error = error_message(nullptr, c->c_.get());
    return nullptr;
  }
  return c;
}

bool connection::pump(clock::time_point deadline) {
  PGconn* c = c_.get();
  for (;;) {
    int flushed = PQflush(c);
    if (flushed < 0) return fail();
    if (flushed == 0 && !PQisBusy(c)) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return fail();  // no answer in time: the caller drops us
    pollfd p{PQsocket(c), static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0) continue;  // EINTR
    if ((p.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(c) == 0) return fail();
  }
}

result_ptr connection::next(clock::time_point deadline) {
  if (!pump(deadline)) return nullptr;
  return result_ptr(PQgetResult(c_.get()));
}

bool connection::drain_to_sync(clock::time_point deadline) {
  // Bounded: a pipeline holds at most a few thousand results.
  for (int guard = 0; guard < 1'000'000; ++guard) {
    auto r = next(deadline);
    if (r == nullptr) {
      if (failed()) return false;
      continue;  // the end of one query's results
    }
    if (PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC) return true;
  }
  return false;
}

std::string connection::prepare(const std::string& sql, clock::time_point deadline) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.use);
    return it->second.name;
  }
  // Statements are few (per table and per query shape), but query shapes come
  // from requests: bound the cache so a connection's memory stays bounded.
  // Evict one statement at a time, the least recently used: DEALLOCATE ALL
  // would also drop statements a caller prepared a moment ago and is about
  // to run (error 26000 on the writer's insert).
  while (prepared_.size() >= capacity_ && !lru_.empty()) {
    auto victim = prepared_.find(lru_.back());
    std::string sql_text = "DEALLOCATE " + victim->second.name;
    if (!ok(exec(sql_text, deadline).get())) return {};
    prepared_.erase(victim);
    lru_.pop_back();
  }
  std::string name = "s" + std::to_string(next_name_++);
  if (PQsendPrepare(c_.get(), name.c_str(), sql.c_str(), 0, nullptr) != 1) return {};
  result_ptr last;
  for (int guard = 0; guard < 16; ++guard) {
    auto r = next(deadline);
    if (r == nullptr) break;
    last = std::move(r);
  }
  if (!ok(last.get()) || failed()) {
    last_error_ = error_message(last.get(), c_.get());
    return {};
  }
  lru_.push_front(sql);
  prepared_.emplace(sql, cached{name, lru_.begin()});
  return name;
}

namespace {
// Collects one statement's results: the first failure, else the last result.
template <class Next>
result_ptr collect(Next&& next) {
  result_ptr keep;
  for (int guard = 0; guard < 16; ++guard) {
    auto r = next();
    if (r == nullptr) break;
    if (keep == nullptr || ok(keep.get())) keep = std::move(r);
  }
  return keep;
}
}  // namespace

result_ptr connection::exec(const std::string& sql, clock::time_point deadline) {
  if (PQsendQueryParams(c_.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
    return nullptr;
  }
  auto r = collect([&] { return next(deadline); });
  return failed() ? nullptr : std::move(r);
}

result_ptr connection::exec_prepared(const std::string& sql, const params& p,
                                     clock::time_point deadline) {
  std::string name = prepare(sql, deadline);
  if (name.empty() || !send_prepared(name, p)) return nullptr;
  auto r = collect([&] { return next(deadline); });
  return failed() ? nullptr : std::move(r);
}

bool connection::send_prepared(const std::string& name, const params& p) {
  auto ptrs = p.pointers();
  return PQsendQueryPrepared(c_.get(), name.c_str(), p.size(), ptrs.data(), nullptr, nullptr,
                             0) == 1;
}

}  // namespace sluice::store::pg
