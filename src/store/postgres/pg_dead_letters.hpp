#pragma once
// The dead-letter operations of the PostgreSQL store (store.hpp, "Dead
// letters"), each on one pooled connection the store hands in. Changes run in
// one transaction that locks the entries it changes (FOR UPDATE), so a
// subscriber's dead-letter upsert of the same entry waits for it.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/postgres/pg_conn.hpp"
#include "store/store.hpp"

namespace sluice::store::pg {

result<dead_letter_page> list_dead_letters(connection& c, const dead_letter_query& q,
                                           clock::time_point deadline);
result<std::vector<dead_letter_entry>> dead_letters_of(connection& c, std::string_view message_id,
                                                       clock::time_point deadline);
result<std::vector<dead_letter_entry>> mark_redriven(connection& c, std::string_view message_id,
                                                     const std::optional<std::string>& subscription,
                                                     clock::time_point deadline);
result<std::vector<dead_letter_entry>> mark_redriven_matching(connection& c,
                                                              const dead_letter_query& q,
                                                              clock::time_point deadline);
result<bool> unmark_redriven(connection& c, std::string_view message_id,
                             std::string_view subscription, clock::time_point deadline);
result<std::vector<dead_letter_entry>> discard(connection& c, std::string_view message_id,
                                               const std::optional<std::string>& subscription,
                                               clock::time_point deadline);
result<std::vector<message_event>> history(connection& c, std::string_view message_id,
                                           const std::vector<std::string>& tables,
                                           clock::time_point deadline);
result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts(
    connection& c, clock::time_point deadline);

}  // namespace sluice::store::pg
