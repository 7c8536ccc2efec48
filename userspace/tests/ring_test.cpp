#include <catch2/catch.hpp>

#include <chrono>

#include "zcrx/ring.hpp"

// These need io_uring with DEFER_TASKRUN and CQE32 on the host (Linux 6.1+),
// which the test command's host has.

TEST_CASE("Ring: a timed wait with nothing to complete times out", "[ring]") {
    auto ring = zcrx::Ring::create();
    REQUIRE(ring);
    const auto start = std::chrono::steady_clock::now();
    auto r = ring->submit_and_wait_for(std::chrono::milliseconds(50));
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE(r);
    CHECK_FALSE(*r);
    CHECK(waited >= std::chrono::milliseconds(50));
}

TEST_CASE("Ring: a timed wait returns as soon as a completion is there", "[ring]") {
    auto ring = zcrx::Ring::create();
    REQUIRE(ring);
    io_uring_sqe *sqe = ring->get_sqe();
    REQUIRE(sqe);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 42);
    auto r = ring->submit_and_wait_for(std::chrono::seconds(10));
    REQUIRE(r);
    CHECK(*r);
    unsigned seen = 0;
    ring->for_each_cqe([&](const io_uring_cqe &cqe) {
        CHECK(cqe.user_data == 42);
        CHECK(cqe.res == 0);
        ++seen;
    });
    CHECK(seen == 1);
}
