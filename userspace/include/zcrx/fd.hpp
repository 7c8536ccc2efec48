// A move-only owner of one file descriptor.
#pragma once

#include <unistd.h>

#include <utility>

namespace zcrx {

class Fd {
public:
    Fd() noexcept = default;
    // Takes ownership of fd (negative: owns nothing).
    explicit Fd(int fd) noexcept : fd_(fd) {}

    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    Fd(Fd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd &operator=(Fd &&other) noexcept {
        if (this != &other)
            reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~Fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }

    // Gives up ownership without closing.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

    // Closes the owned fd (if any) and takes fd. close() errors are ignored:
    // the fd is gone either way and there is nobody to tell.
    void reset(int fd = -1) noexcept {
        const int old = std::exchange(fd_, fd);
        if (old >= 0)
            ::close(old);
    }

private:
    int fd_ = -1;
};

} // namespace zcrx
