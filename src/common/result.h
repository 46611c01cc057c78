// Result<T>: the value-or-error type used across module boundaries instead of exceptions.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace slipway {

// Error kinds the control plane distinguishes; the API maps each to a Heroku error id and status.
enum class ErrorCode {
  kNotFound,
  kInvalidParams,
  kBadRequest,
  kConflict,
  kForbidden,
  kUnauthorized,
  kPayloadTooLarge,
  kConfirmationRequired,  // the client must repeat the request with "confirm": <app>
  kInternal,
};

struct Error {
  ErrorCode code;
  std::string message;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : data_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<Error>(data_); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace slipway
