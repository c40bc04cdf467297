#include "sqlite/statement_cache.hpp"

#include <sqlite3.h>

namespace sluice::sqlite {

void statement_deleter::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

statement_cache::entry* statement_cache::find(std::string_view sql) {
  auto it = index_.find(sql);
  if (it == index_.end()) return nullptr;
  entries_.splice(entries_.begin(), entries_, it->second);  // iterators stay valid
  return &*it->second;
}

statement_cache::entry* statement_cache::insert(std::string sql, statement_ptr stmt) {
  entries_.push_front(entry{std::move(sql), std::move(stmt), false});
  index_.emplace(entries_.front().sql, entries_.begin());
  // Walk from the least recently used end, skipping statements in use; the
  // new entry at the front is never a candidate.
  auto it = entries_.end();
  while (entries_.size() > capacity_ && it != std::next(entries_.begin())) {
    --it;
    if (it->in_use) continue;
    index_.erase(it->sql);
    it = entries_.erase(it);
  }
  return &entries_.front();
}

}  // namespace sluice::sqlite
