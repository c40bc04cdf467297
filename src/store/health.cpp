#include "store/health.hpp"

namespace sluice::store {
namespace {

// Whether `ec` says the store could not answer (as opposed to an answer the
// caller did not like, such as a refused query).
bool is_outage(std::error_code ec) {
  if (!ec) return false;
  if (ec.category() != category()) return true;
  switch (static_cast<errc>(ec.value())) {
    case errc::bad_query:
    case errc::unknown_table:
    case errc::unsupported:
      return false;
    default:
      return true;
  }
}

template <class T>
std::error_code error_of(const result<T>& r) {
  return r ? std::error_code{} : r.error();
}

class recording_store final : public store {
 public:
  recording_store(std::unique_ptr<store> inner, health& h) : inner_(std::move(inner)), health_(h) {}

  std::error_code migrate(std::span<const table_def> tables) override {
    return inner_->migrate(tables);
  }
  std::error_code attach(std::span<const table_def> tables) override {
    return inner_->attach(tables);
  }

  result<batch_result> write(const batch& b) override {
    auto r = inner_->write(b);
    health_.record(health::side::writes, error_of(r));
    return r;
  }
  result<page> query(std::string_view table, const page_query& q) override {
    return read(inner_->query(table, q));
  }
  result<row_count> count(std::string_view table, const page_query& q, count_mode mode,
                          std::uint64_t exact_max) override {
    return read(inner_->count(table, q, mode, exact_max));
  }
  result<std::optional<std::string>> get(std::string_view table, std::int64_t id) override {
    return read(inner_->get(table, id));
  }
  result<message_status> status(std::string_view message_id) override {
    return read(inner_->status(message_id));
  }
  std::error_code ping() override {
    auto ec = inner_->ping();
    health_.record(health::side::reads, ec);
    return ec;
  }
  result<std::int64_t> version(std::string_view table) override {
    return read(inner_->version(table));
  }

  // Dead letters: operators' calls; reads and writes count as such.
  result<dead_letter_page> dead_letters(const dead_letter_query& q) override {
    return read(inner_->dead_letters(q));
  }
  result<std::vector<dead_letter_entry>> dead_letters_of(std::string_view message_id) override {
    return read(inner_->dead_letters_of(message_id));
  }
  result<std::vector<dead_letter_entry>> mark_redriven(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    return wrote(inner_->mark_redriven(message_id, subscription));
  }
  result<std::vector<dead_letter_entry>> mark_redriven_matching(
      const dead_letter_query& q) override {
    return wrote(inner_->mark_redriven_matching(q));
  }
  std::error_code unmark_redriven(std::string_view message_id,
                                  std::string_view subscription) override {
    auto ec = inner_->unmark_redriven(message_id, subscription);
    health_.record(health::side::writes, ec);
    return ec;
  }
  result<std::vector<dead_letter_entry>> discard(
      std::string_view message_id, const std::optional<std::string>& subscription) override {
    return wrote(inner_->discard(message_id, subscription));
  }
  result<std::vector<message_event>> history(std::string_view message_id) override {
    return read(inner_->history(message_id));
  }
  result<std::vector<std::pair<std::string, std::uint64_t>>> dead_letter_counts() override {
    return read(inner_->dead_letter_counts());
  }

 private:
  template <class T>
  result<T> wrote(result<T> r) {
    health_.record(health::side::writes, error_of(r));
    return r;
  }
  template <class T>
  result<T> read(result<T> r) {
    health_.record(health::side::reads, error_of(r));
    return r;
  }

  std::unique_ptr<store> inner_;
  health& health_;
};

}  // namespace

void health::record(side s, std::error_code ec) {
  std::lock_guard lock(mu_);
  auto& st = streaks_[static_cast<std::size_t>(s)];
  if (!is_outage(ec)) {
    st = {};
    return;
  }
  ++st.failures;
  st.last = ec;
}

std::optional<std::string> health::trouble() const {
  std::lock_guard lock(mu_);
  for (side s : {side::writes, side::reads}) {
    const auto& st = streaks_[static_cast<std::size_t>(s)];
    if (st.failures < k_failures_to_trip) continue;
    return std::string(s == side::writes ? "writes" : "reads") + " failing: " + st.last.message() +
           " (" + std::to_string(st.failures) + " in a row)";
  }
  return std::nullopt;
}

std::unique_ptr<store> health_recording_store(std::unique_ptr<store> inner, health& h) {
  return std::make_unique<recording_store>(std::move(inner), h);
}

}  // namespace sluice::store
