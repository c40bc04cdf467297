#pragma once
// A bounded, least-recently-used cache of prepared statements for one SQLite
// connection. Private to src/sqlite/ (connection owns one).
//
// A statement in use (borrowed by a live sluice::sqlite::statement) is never
// evicted: the cache may then hold more than `capacity` entries until those
// are returned, and shrinks back on the next insert.
//
// Thread safety: none; confined with its connection.

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3_stmt;

namespace sluice::sqlite {

struct statement_deleter {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_deleter>;

class statement_cache {
 public:
  struct entry {
    std::string sql;
    statement_ptr stmt;
    bool in_use = false;
  };

  // REQUIRES: capacity > 0.
  explicit statement_cache(std::size_t capacity) : capacity_(capacity) {}
  statement_cache(statement_cache&&) noexcept = default;
  statement_cache& operator=(statement_cache&&) noexcept = default;

  // The entry for `sql`, now the most recently used; nullptr when absent.
  // The pointer stays valid until the entry is evicted (never while in use).
  entry* find(std::string_view sql);
  // Adds `stmt` for `sql` as the most recently used entry, then evicts least
  // recently used entries that are not in use while over capacity.
  // REQUIRES: find(sql) == nullptr.
  entry* insert(std::string sql, statement_ptr stmt);

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }
  bool contains(std::string_view sql) const { return index_.count(sql) != 0; }

 private:
  using list = std::list<entry>;
  std::size_t capacity_;
  list entries_;  // front: most recently used
  // Keys view the sql strings held by the list nodes (stable addresses).
  std::unordered_map<std::string_view, list::iterator> index_;
};

}  // namespace sluice::sqlite
