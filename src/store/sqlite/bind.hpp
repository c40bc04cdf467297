#pragma once
// Binds a typed field value to a statement parameter, one rule for every
// SQLite statement of the store (row inserts, pages, counts): NULL for a
// missing value, booleans as 0/1 (the column's CHECK keeps them so).

#include <variant>

#include "model/record.hpp"
#include "sqlite/database.hpp"

namespace sluice::store::sqlite {

inline void bind_value(sluice::sqlite::statement& s, int i, const model::value& v) {
  struct visitor {
    sluice::sqlite::statement& s;
    int i;
    void operator()(std::monostate) const { s.bind_null(i); }
    void operator()(std::int64_t x) const { s.bind(i, x); }
    void operator()(double x) const { s.bind_double(i, x); }
    void operator()(bool x) const { s.bind(i, std::int64_t{x ? 1 : 0}); }
    void operator()(const std::string& x) const { s.bind_text(i, x); }
  };
  std::visit(visitor{s, i}, v);
}

}  // namespace sluice::store::sqlite
