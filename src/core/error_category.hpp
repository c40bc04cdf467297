#pragma once
// A std::error_category for a domain's error enum, named once per domain:
//   const std::error_category& category() {
//     static const enum_category<errc> c("sluice.broker", describe); return c; }

#include <string>
#include <system_error>

namespace sluice {

template <class Enum>
class enum_category final : public std::error_category {
 public:
  using describe_fn = const char* (*)(Enum);
  constexpr enum_category(const char* name, describe_fn describe)
      : name_(name), describe_(describe) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int ev) const override { return describe_(static_cast<Enum>(ev)); }

 private:
  const char* name_;
  describe_fn describe_;
};

}  // namespace sluice
