// core/result: the error currency across module boundaries.
// A Result<T> holds either a value or an Error{code, message}. Each front end maps
// Errc to an RCODE or an HTTP status in exactly one place. Not thread-safe per object.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace acmezone::core {

// Stable error codes. Add at the end; front ends map them, so renaming is an API change.
enum class Errc {
    invalid_argument,   // input that breaks a rule (bad name, bad TXT value, bad config value)
    not_found,          // the thing asked for does not exist
    conflict,           // it exists already / belongs to someone else
    forbidden,          // authenticated but out of scope, or not authenticated
    store_full,         // the LMDB map is full: nothing was written
    store_error,        // any other storage failure: nothing was written
    prerequisite_failed,// an RFC 2136 prerequisite did not hold (detail in the message)
    shutting_down,      // the writer is stopping and took no new work
    internal,           // a broken invariant
};

const char* to_string(Errc code) noexcept;

struct Error {
    Errc code;
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}       // NOLINT(google-explicit-constructor)

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace acmezone::core
