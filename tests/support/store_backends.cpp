#include "support/store_backends.hpp"

#include "store/sqlite/sqlite_store.hpp"
#include "support/sluice_process.hpp"

namespace sluice::testing {
namespace {

class sqlite_backend final : public store_backend {
 public:
  bool open() {
    auto s = store::make_sqlite_store({(dir_.path() / "store.db").string(), 2});
    if (!s) return false;
    store_ = std::move(*s);
    return true;
  }
  store::store& get() override { return *store_; }

 private:
  temp_dir dir_;
  std::unique_ptr<store::store> store_;
};

}  // namespace

std::vector<std::string> store_backend_names() { return {"sqlite"}; }

std::unique_ptr<store_backend> make_store_backend(const std::string& name) {
  if (name == "sqlite") {
    auto b = std::make_unique<sqlite_backend>();
    if (b->open()) return b;
  }
  return nullptr;
}

}  // namespace sluice::testing
