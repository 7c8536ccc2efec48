#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "zcrx/fd.hpp"
#include "zcrx/result.hpp"

using zcrx::Error;
using zcrx::Fd;
using zcrx::Result;

namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

// A pipe's read end, as an Fd; the write end is closed at once.
Fd pipe_fd() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    ::close(fds[1]);
    return Fd(fds[0]);
}

} // namespace

static_assert(!std::is_copy_constructible_v<Fd> && !std::is_copy_assignable_v<Fd>);
static_assert(std::is_nothrow_move_constructible_v<Fd> && std::is_nothrow_move_assignable_v<Fd>);
static_assert(std::is_nothrow_destructible_v<Fd>);

TEST_CASE("Fd closes what it owns when destroyed", "[fd]") {
    int raw = -1;
    {
        Fd fd = pipe_fd();
        raw = fd.get();
        CHECK(fd.valid());
        CHECK(is_open(raw));
    }
    CHECK_FALSE(is_open(raw));
    CHECK_FALSE(Fd().valid());
}

TEST_CASE("Fd moves ownership and closes the old fd on reassignment", "[fd]") {
    Fd a = pipe_fd();
    const int first = a.get();
    Fd b(std::move(a));
    CHECK_FALSE(a.valid());
    CHECK(b.get() == first);

    Fd c = pipe_fd();
    const int second = c.get();
    b = std::move(c);
    CHECK_FALSE(is_open(first));
    CHECK(b.get() == second);
    CHECK_FALSE(c.valid());

    b = std::move(b); // self-move keeps the fd
    CHECK(is_open(second));
}

TEST_CASE("Fd release gives up ownership, reset closes", "[fd]") {
    Fd a = pipe_fd();
    const int raw = a.release();
    CHECK_FALSE(a.valid());
    CHECK(is_open(raw));
    a.reset(raw);
    CHECK(a.get() == raw);
    a.reset();
    CHECK_FALSE(is_open(raw));
    CHECK_FALSE(a.valid());
}

TEST_CASE("Result holds a value or an Error", "[result]") {
    Result<int> ok = 5;
    REQUIRE(ok.ok());
    CHECK(static_cast<bool>(ok));
    CHECK(*ok == 5);

    Result<int> bad = Error(ENODEV, "find eth9");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().err == ENODEV);
    CHECK(bad.error().what == "find eth9");

    Result<std::unique_ptr<int>> moved = std::make_unique<int>(3);
    std::unique_ptr<int> p = std::move(moved).value();
    CHECK(*p == 3);

    Result<void> fine;
    CHECK(fine.ok());
    Result<void> failed = Error(EPERM, "x");
    REQUIRE_FALSE(failed.ok());
    CHECK(std::move(failed).error().err == EPERM);
}
