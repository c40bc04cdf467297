#pragma once
// The dead-letter operations of the SQLite store (store.hpp, "Dead letters"):
// listing, inspecting, marking redriven or discarded, the message history and
// the per-subscription counts. Free functions over one connection; the store
// chooses the connection (the writer for changes, a reader otherwise) and
// holds its lock.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "sqlite/database.hpp"
#include "store/store.hpp"

namespace sluice::store::sqlite {

// Brings sluice_dead_letters up to date (state, redrives) and creates the
// events table and indexes. Idempotent. REQUIRES: in a transaction.
std::error_code migrate_dead_letters(sluice::sqlite::connection& c);

result<dead_letter_page> list_dead_letters(sluice::sqlite::connection& c,
                                           const dead_letter_query& q);
result<std::vector<dead_letter_entry>> dead_letters_of(sluice::sqlite::connection& c,
                                                       std::string_view message_id);
// These open their own transaction on `c` (the writer).
result<std::vector<dead_letter_entry>> mark_redriven(
    sluice::sqlite::connection& c, std::string_view message_id,
    const std::optional<std::string>& subscription);
result<std::vector<dead_letter_entry>> mark_redriven_matching(sluice::sqlite::connection& c,
                                                              const dead_letter_query& q);
std::error_code unmark_redriven(sluice::sqlite::connection& c, std::string_view message_id,
                                std::string_view subscription);
result<std::vector<dead_letter_entry>> discard(sluice::sqlite::connection& c,
                                               std::string_view message_id,
                                               const std::optional<std::string>& subscription);
// `tables`: every migrated table (where a stored row may be).
result<std::vector<message_event>> history(sluice::sqlite::connection& c,
                                           std::string_view message_id,
                                           const std::vector<std::string>& tables);
result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts(
    sluice::sqlite::connection& c);

}  // namespace sluice::store::sqlite
