// Errors as values: an errno, what was being attempted, and what to do about it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace zcrx {

// What to check when a zcrx setup or receive step fails with err (a positive
// errno; a negative -errno return value is accepted too). Empty if unknown.
[[nodiscard]] std::string_view errno_hint(int err) noexcept;

// Symbolic name ("EOPNOTSUPP") for the errnos zcrx documents, else empty.
[[nodiscard]] std::string_view errno_name(int err) noexcept;

struct Error {
    int err = 0;        // positive errno
    std::string what;   // the step that failed, e.g. "register zcrx ifq on eth0 queue 3"
    std::string detail; // what the kernel said, if anything (a netlink extack message)
    // What to do, where the caller knows the context better than errno_hint()
    // (which is about registering a zcrx queue); "" means no hint at all.
    std::optional<std::string> advice;

    Error() = default;
    Error(int errnum, std::string what_failed, std::string kernel_detail = {},
          std::optional<std::string> what_to_do = std::nullopt)
        : err(errnum), what(std::move(what_failed)), detail(std::move(kernel_detail)),
          advice(std::move(what_to_do)) {}

    // From a "-errno on failure" return value such as io_uring_register()'s.
    [[nodiscard]] static Error from_ret(int ret, std::string what_failed) {
        return Error{ret < 0 ? -ret : ret, std::move(what_failed)};
    }

    // advice if set, else the zcrx errno hint.
    [[nodiscard]] std::string_view hint() const noexcept {
        return advice ? std::string_view(*advice) : errno_hint(err);
    }

    // "what: strerror (ENAME): detail; hint" with the parts that are known.
    [[nodiscard]] std::string message() const;
};

} // namespace zcrx
