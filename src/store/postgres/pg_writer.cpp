#include "store/postgres/pg_writer.hpp"

#include <cctype>
#include <unordered_map>

#include "store/postgres/pg_schema.hpp"

namespace sluice::store::pg {
namespace {

// Message ids compare in PostgreSQL's canonical (lower-case) uuid text.
std::string canonical_id(const std::string& id) {
  if (!looks_like_uuid(id)) return id;
  std::string out = id;
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Errors that belong to the row whatever the moment: class 22 (data
// exception), 23 (integrity constraint), 54 (program limit exceeded, e.g.
// 54000 "index row size exceeds btree maximum"), P0 (PL/pgSQL: a trigger's
// RAISE EXCEPTION is P0001), 2F/38/39 (errors raised inside routines and
// triggers). The database refuses such a row for good: a dead letter.
// Others (57014 statement timeout, 40001, …) may be the moment's, not the
// row's: they become the row's only when they repeat (refusal_memory).
bool row_error(std::string_view s) {
  if (s.size() != 5) return false;
  auto cls = s.substr(0, 2);
  return cls == "22" || cls == "23" || cls == "54" || cls == "P0" || cls == "2F" || cls == "38" ||
         cls == "39";
}

// The insert's array parameters for rows [from, to).
params insert_params(const batch& b, std::size_t from, std::size_t to, std::size_t fields) {
  std::vector<std::string> cols(3 + fields, "{");
  for (auto& c : cols) c.reserve(64 * (to - from));
  for (std::size_t i = from; i < to; ++i) {
    const auto& row = b.rows[i];
    const char* sep = i == from ? "" : ",";
    cols[0] += sep;
    append_array_element(cols[0], row.message_id);
    cols[1] += sep;
    append_array_element(cols[1], row.accepted_at_us);
    cols[2] += sep;
    append_array_element(cols[2], row.trace_id.empty() ? model::value{} : model::value{row.trace_id});
    for (std::size_t f = 0; f < fields; ++f) {
      cols[3 + f] += sep;
      append_array_element(cols[3 + f],
                           f < row.values.values.size() ? row.values.values[f] : model::value{});
    }
  }
  params p;
  p.add(std::move(cols[0] += '}'));
  p.add(std::move(cols[1] += '}'));
  p.add(b.subscription);
  p.add(std::move(cols[2] += '}'));
  for (std::size_t f = 0; f < fields; ++f) p.add(std::move(cols[3 + f] += '}'));
  return p;
}

// The outcome-lock keys of every message the batch writes an outcome for.
params outcome_lock_params(const batch& b) {
  std::string keys = "{";
  auto add = [&](const std::string& subscription, const std::string& id) {
    if (keys.size() > 1) keys += ',';
    append_array_element(keys, subscription + "/" + canonical_id(id));
  };
  for (const auto& row : b.rows) add(b.subscription, row.message_id);
  for (const auto& dl : b.dead_letters) add(dl.subscription, dl.message_id);
  params p;
  p.add(keys + "}");
  return p;
}

params dead_letter_params(const dead_letter& dl) {
  params p;
  std::string id = canonical_id(dl.message_id);
  p.add(id);
  p.add(dl.subscription);
  p.add(dl.topic);
  p.add(dl.reason);
  p.add(std::to_string(dl.attempts));
  p.add(dl.body);
  if (looks_like_uuid(id)) {
    p.add(id);
  } else {
    p.add_null();
  }
  if (dl.trace_id.empty()) {
    p.add_null();
  } else {
    p.add(dl.trace_id);
  }
  return p;
}

// Reads one queued statement's result and the end-of-statement marker.
result_ptr take(connection& c, clock::time_point deadline) {
  auto r = c.next(deadline);
  if (r == nullptr) return nullptr;
  auto end = c.next(deadline);  // nullptr: this statement's results are over
  if (end != nullptr) {
    c.discard();  // more results than one statement gives: a protocol surprise
    return nullptr;
  }
  return r;
}

bool take_ok(connection& c, clock::time_point deadline) { return ok(take(c, deadline).get()); }

bool take_sync(connection& c, clock::time_point deadline) {
  auto r = c.next(deadline);
  return r != nullptr && PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC;
}

class writer {
 public:
  writer(connection& c, const write_statements& s, const batch& b, refusal_memory& memory,
         clock::time_point deadline)
      : c_(c), b_(b), memory_(memory), deadline_(deadline), fields_(s.resource->fields.size()) {
    insert_ = c_.prepare(s.insert_sql, deadline);
    dead_letter_ = c_.prepare(s.dead_letter_sql, deadline);
    bump_ = c_.prepare(pg::version_bump_sql, deadline);
    lock_ = c_.prepare(pg::outcome_lock_sql, deadline);
    version_params_.add(s.table);
    lock_params_ = outcome_lock_params(b);
  }

  result<batch_result> run() {
    if (insert_.empty() || dead_letter_.empty() || bump_.empty() || lock_.empty() ||
        !c_.enter_pipeline()) {
      return fail();
    }
    out_.rows.assign(b_.rows.size(), {outcome::duplicate, {}});
    bool refused_batch = false;
    if (!whole_batch(refused_batch)) return fail();
    if (refused_batch && !row_by_row()) return fail();
    if (!c_.exit_pipeline()) return fail();
    return std::move(out_);
  }

 private:
  result<batch_result> fail() {
    c_.discard();  // mid-pipeline or mid-transaction: never reuse it
    return errc::unavailable;
  }

  // The common case, one round trip. Sets `refused_batch` (and leaves the
  // transaction rolled back) when the data was refused.
  bool whole_batch(bool& refused_batch) {
    bool has_rows = !b_.rows.empty();
    if (!c_.send("BEGIN") || !c_.send_prepared(lock_, lock_params_)) return false;
    if (has_rows && !c_.send_prepared(insert_, insert_params(b_, 0, b_.rows.size(), fields_))) {
      return false;
    }
    for (const auto& dl : b_.dead_letters) {
      if (!c_.send_prepared(dead_letter_, dead_letter_params(dl))) return false;
    }
    // The version moves in the same transaction as the rows: a reader who
    // sees the rows committed can never read the version from before them.
    if (has_rows && !c_.send_prepared(bump_, version_params_)) return false;
    if (!c_.send("COMMIT") || !c_.sync()) return false;

    if (!take_ok(c_, deadline_) || !take_ok(c_, deadline_)) return false;  // BEGIN, locks
    if (has_rows) {
      auto r = take(c_, deadline_);
      if (r == nullptr) return false;
      if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        // The multi-row insert failed while the server still answers (an
        // error result, the connection up): isolate the failing row(s) row by
        // row, whatever the class — a server-wide cause fails there again
        // (and releases the batch), a row's cause is found and dead-lettered.
        if (sqlstate(r.get()).empty() || c_.failed()) return false;
        refused_batch = true;
        if (!c_.drain_to_sync(deadline_)) return false;
        if (!c_.send("ROLLBACK") || !c_.sync()) return false;
        return take_ok(c_, deadline_) && take_sync(c_, deadline_);
      }
      mark_stored(r.get());
    }
    for (std::size_t i = 0; i < b_.dead_letters.size(); ++i) {
      if (!take_ok(c_, deadline_)) return false;
    }
    if (has_rows && !take_version()) return false;
    return take_ok(c_, deadline_) && take_sync(c_, deadline_);
  }

  bool take_version() {
    auto r = take(c_, deadline_);
    if (r == nullptr || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
      return false;
    }
    out_.version = std::stoll(PQgetvalue(r.get(), 0, 0));
    return true;
  }

  void mark_stored(const PGresult* r) {
    std::unordered_map<std::string, bool> inserted;  // id -> not yet claimed
    for (int i = 0; i < PQntuples(r); ++i) inserted.emplace(PQgetvalue(r, i, 0), true);
    for (std::size_t i = 0; i < b_.rows.size(); ++i) {
      auto it = inserted.find(canonical_id(b_.rows[i].message_id));
      // A message twice in one batch: the first is the stored one.
      if (it != inserted.end() && it->second) {
        it->second = false;
        out_.rows[i].result = outcome::stored;
      }
    }
  }

  // Every row in its own savepoint, pipelined; one round trip per refused
  // row (after a failure the server skips the rest of the pipeline).
  bool row_by_row() {
    if (!c_.send("BEGIN") || !c_.send_prepared(lock_, lock_params_) || !c_.sync() ||
        !take_ok(c_, deadline_) || !take_ok(c_, deadline_) || !take_sync(c_, deadline_)) {
      return false;
    }
    std::vector<dead_letter> refused_rows;
    std::size_t start = 0;
    bool in_error = false;  // the last row sent was refused: roll back to its savepoint
    while (start < b_.rows.size()) {
      for (std::size_t i = start; i < b_.rows.size(); ++i) {
        if (i == start && in_error && !c_.send("ROLLBACK TO SAVEPOINT r")) return false;
        if (!c_.send("SAVEPOINT r") || !c_.send_prepared(insert_, insert_params(b_, i, i + 1, fields_)) ||
            !c_.send("RELEASE SAVEPOINT r") || !c_.sync()) {
          return false;
        }
      }
      std::size_t failed_at = b_.rows.size();
      for (std::size_t i = start; i < b_.rows.size(); ++i) {
        if (failed_at < i) {
          if (!c_.drain_to_sync(deadline_)) return false;
          continue;
        }
        if (i == start && in_error && !take_ok(c_, deadline_)) return false;
        if (!take_ok(c_, deadline_)) return false;
        auto r = take(c_, deadline_);
        if (r == nullptr) return false;
        if (PQresultStatus(r.get()) == PGRES_TUPLES_OK) {
          out_.rows[i].result = PQntuples(r.get()) == 1 ? outcome::stored : outcome::duplicate;
          if (!take_ok(c_, deadline_) || !take_sync(c_, deadline_)) return false;
          continue;
        }
        auto state = sqlstate(r.get());
        if (state.empty() || c_.failed()) return false;
        std::string message = error_message(r.get(), c_.raw());
        // Not a row's class: release the batch (uncounted) unless this row
        // has now been refused the same way refusal_memory::limit times in a
        // row — then it is the row's, whatever the class.
        const auto& row_id = b_.rows[i].message_id;
        std::string signature = std::string(state) + " " + message;
        if (!row_error(state) && !memory_.refused_again(row_id, signature)) return false;
        memory_.forget(row_id);
        failed_at = i;
        std::string reason = "rejected by the store: " + message;
        out_.rows[i] = {outcome::dead_lettered, reason};
        const auto& row = b_.rows[i];
        refused_rows.push_back(
            {row.message_id, b_.subscription, b_.topic, reason, row.attempt, row.body,
             row.trace_id});
        if (!c_.drain_to_sync(deadline_)) return false;
      }
      in_error = failed_at < b_.rows.size();
      start = in_error ? failed_at + 1 : b_.rows.size();
    }
    // Dead letters (refused rows, then the subscriber's), then commit.
    if (in_error && !c_.send("ROLLBACK TO SAVEPOINT r")) return false;
    for (const auto& dl : refused_rows) {
      if (!c_.send_prepared(dead_letter_, dead_letter_params(dl))) return false;
    }
    for (const auto& dl : b_.dead_letters) {
      if (!c_.send_prepared(dead_letter_, dead_letter_params(dl))) return false;
    }
    if (!c_.send_prepared(bump_, version_params_)) return false;
    if (!c_.send("COMMIT") || !c_.sync()) return false;
    std::size_t n = (in_error ? 1 : 0) + refused_rows.size() + b_.dead_letters.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (!take_ok(c_, deadline_)) return false;
    }
    return take_version() && take_ok(c_, deadline_) && take_sync(c_, deadline_);
  }

  connection& c_;
  const batch& b_;
  refusal_memory& memory_;
  clock::time_point deadline_;
  std::size_t fields_;
  std::string insert_, dead_letter_, bump_, lock_;
  pg::params version_params_, lock_params_;
  batch_result out_;
};

}  // namespace

bool refusal_memory::refused_again(const std::string& message_id, const std::string& signature) {
  std::lock_guard lock(mu_);
  if (seen_.size() >= k_capacity && seen_.find(message_id) == seen_.end()) seen_.clear();
  auto& e = seen_[message_id];
  if (e.signature != signature) e = {signature, 0};
  return ++e.count >= limit;
}

void refusal_memory::forget(const std::string& message_id) {
  std::lock_guard lock(mu_);
  seen_.erase(message_id);
}

result<batch_result> write_batch(connection& c, const write_statements& s, const batch& b,
                                 refusal_memory& memory, clock::time_point deadline) {
  return writer(c, s, b, memory, deadline).run();
}

}  // namespace sluice::store::pg
