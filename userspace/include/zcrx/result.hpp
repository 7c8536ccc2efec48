// A value or an Error, for library calls that can fail (C++20 has no std::expected).
#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "zcrx/error.hpp"

namespace zcrx {

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Only when ok().
    [[nodiscard]] T &value() &noexcept {
        assert(ok());
        return *std::get_if<0>(&v_);
    }
    [[nodiscard]] const T &value() const &noexcept {
        assert(ok());
        return *std::get_if<0>(&v_);
    }
    [[nodiscard]] T &&value() &&noexcept {
        assert(ok());
        return std::move(*std::get_if<0>(&v_));
    }
    T *operator->() noexcept { return &value(); }
    const T *operator->() const noexcept { return &value(); }
    T &operator*() &noexcept { return value(); }
    const T &operator*() const &noexcept { return value(); }

    // Only when !ok().
    [[nodiscard]] const Error &error() const &noexcept {
        assert(!ok());
        return *std::get_if<1>(&v_);
    }
    [[nodiscard]] Error &&error() &&noexcept {
        assert(!ok());
        return std::move(*std::get_if<1>(&v_));
    }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}

    [[nodiscard]] bool ok() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] const Error &error() const &noexcept {
        assert(!ok());
        return *error_;
    }
    [[nodiscard]] Error &&error() &&noexcept {
        assert(!ok());
        return std::move(*error_);
    }

private:
    std::optional<Error> error_;
};

} // namespace zcrx
