// Status and Result<T>: how every zta API reports failure. No exception crosses a public API.
#pragma once

#include <cassert>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace zta {

// Canonical error codes (after absl::StatusCode). kUnauthenticated maps to HTTP 401,
// kPermissionDenied to HTTP 403.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller passed something malformed
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a named thing exists already
  kPermissionDenied,    // authenticated, but not allowed (403)
  kUnauthenticated,     // no valid credential (401): a token that does not verify
  kResourceExhausted,   // a limit was hit (size, rate)
  kFailedPrecondition,  // the system is not in a state where this can run
  kUnavailable,         // a dependency could not be reached; retrying may help
  kDeadlineExceeded,    // ran out of time
  kDataLoss,            // stored data is corrupt
  kUnimplemented,       // not supported
  kInternal,            // a bug or a failure of a library we call
};

std::string_view StatusCodeName(StatusCode code);

// A cheap value: ok, or a code with a human message and an optional machine-readable reason
// (for token verification, a stable snake_case reason code such as "bad_signature").
// Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message, std::string reason = {})
      : code_(code), message_(std::move(message)), reason_(std::move(reason)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Stable snake_case reason code, empty when the producer gave none.
  const std::string& reason() const { return reason_; }

  // "<reason>: <message>" or "<code name>: <message>", for one-line error output.
  std::string ToString() const;

  // Prefixes the message with context ("loading jwks.json: ...") and keeps code and reason.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string reason_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

inline Status InvalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status NotFound(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status Internal(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}
inline Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}
inline Status FailedPrecondition(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}

// Either a T or a non-ok Status (after absl::StatusOr). Must be used.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : rep_(value) {}                  // NOLINT: implicit by design
  Result(T&& value) : rep_(std::move(value)) {}            // NOLINT
  Result(Status status) : rep_(std::move(status)) {        // NOLINT
    assert(!std::get<Status>(rep_).ok() && "Result built from an ok Status");
    if (std::get<Status>(rep_).ok()) {
      rep_ = Status(StatusCode::kInternal, "Result constructed from ok Status");
    }
  }
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Result<T>>>>
  Result(U&& value) : rep_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(rep_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(rep_);
  }

  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> rep_;
};

}  // namespace zta

#define ZTA_CONCAT_INNER_(a, b) a##b
#define ZTA_CONCAT_(a, b) ZTA_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` is not ok.
#define ZTA_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::zta::Status zta_status_ = (expr);        \
    if (!zta_status_.ok()) return zta_status_; \
  } while (0)

// `ZTA_ASSIGN_OR_RETURN(auto x, Compute());` — binds the value or returns the Status.
#define ZTA_ASSIGN_OR_RETURN(lhs, expr) \
  ZTA_ASSIGN_OR_RETURN_IMPL_(ZTA_CONCAT_(zta_result_, __LINE__), lhs, expr)
#define ZTA_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                               \
  if (!result.ok()) return result.status();           \
  lhs = std::move(result).value()
