#pragma once
// result<T>: a value or a failure. The one way interfaces in Sluice report
// expected failures (STYLE.md §6); exceptions are reserved for start-up
// errors and bugs.
//
// A failure is a std::error_code, which callers branch on, and optionally the
// words a C library gave for it (SQLite's "unable to open database file",
// libpq's, NATS's…) with what they concern, which callers only show: a
// factory that cannot open its backend returns both, so that start-up can say
// why (see app/backends.cpp).

#include <cassert>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace sluice {

struct failure {
  std::error_code code;
  std::string detail;  // empty: code.message() says all there is

  // What to show a person: the library's words when there are any.
  std::string message() const { return detail.empty() ? code.message() : detail; }
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}                         // NOLINT: implicit by design
  result(std::error_code ec) : v_(failure{ec, {}}) { assert(ec); }  // NOLINT
  template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
  result(E e) : result(make_error_code(e)) {}  // NOLINT
  // With the library's words, e.g. result<db>(errc::unavailable, "no such file (/x)").
  result(std::error_code ec, std::string detail) : v_(failure{ec, std::move(detail)}) {
    assert(ec);
  }
  template <class E, class = std::enable_if_t<std::is_error_code_enum_v<E>>>
  result(E e, std::string detail) : result(make_error_code(e), std::move(detail)) {}
  // Passes another result's failure on whole: `return r.why();`.
  result(failure f) : v_(std::move(f)) { assert(std::get<1>(v_).code); }  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !has_value()
  std::error_code error() const { return has_value() ? std::error_code{} : std::get<1>(v_).code; }
  // REQUIRES: !has_value(). The library's words, else error().message().
  std::string message() const { return has_value() ? std::string() : std::get<1>(v_).message(); }
  // REQUIRES: !has_value()
  const failure& why() const { return std::get<1>(v_); }

 private:
  std::variant<T, failure> v_;
};

}  // namespace sluice
