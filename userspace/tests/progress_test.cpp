#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "zcrx/progress.hpp"

using namespace std::chrono_literals;
using zcrx::progress::Clock;
using zcrx::progress::Interval;
using zcrx::progress::Ticker;

TEST_CASE("no interval is reported before its end", "[progress]") {
    const Clock::time_point t0{};
    Ticker t(1000ms, t0);
    CHECK_FALSE(t.tick(t0, 0));
    CHECK_FALSE(t.tick(t0 + 999ms, 500));
    CHECK(t.next() == t0 + 1s);
}

TEST_CASE("each interval carries what its totals grew by", "[progress]") {
    const Clock::time_point t0{};
    Ticker t(500ms, t0);
    const auto a = t.tick(t0 + 510ms, 1000, 10);
    REQUIRE(a);
    CHECK(a->start == Approx(0.0));
    CHECK(a->end == Approx(0.5)); // the boundary, not the late tick
    CHECK(a->bytes == 1000);
    CHECK(a->cqes == 10u);
    CHECK(t.next() == t0 + 1000ms);
    const auto b = t.tick(t0 + 1000ms, 3500, 12);
    REQUIRE(b);
    CHECK(b->start == Approx(0.5));
    CHECK(b->end == Approx(1.0));
    CHECK(b->bytes == 2500);
    CHECK(b->cqes == 2u);
    CHECK(b->gbit_per_s() == Approx(2500.0 * 8 / 0.5 / 1e9));
}

TEST_CASE("intervals a stall skipped are reported as one", "[progress]") {
    const Clock::time_point t0{};
    Ticker t(1000ms, t0);
    const auto a = t.tick(t0 + 3400ms, 9000);
    REQUIRE(a);
    CHECK(a->start == Approx(0.0));
    CHECK(a->end == Approx(3.0));
    CHECK(a->bytes == 9000);
    CHECK_FALSE(a->cqes);
    CHECK(t.next() == t0 + 4000ms);
    CHECK_FALSE(t.tick(t0 + 3900ms, 9500));
}

TEST_CASE("the partial interval at the end is reported if it carried data", "[progress]") {
    const Clock::time_point t0{};
    Ticker t(1000ms, t0);
    REQUIRE(t.tick(t0 + 1000ms, 100));
    const auto end = t.last(t0 + 1250ms, 160);
    REQUIRE(end);
    CHECK(end->start == Approx(1.0));
    CHECK(end->end == Approx(1.25));
    CHECK(end->bytes == 60);

    Ticker idle(1000ms, t0);
    REQUIRE(idle.tick(t0 + 1000ms, 100));
    CHECK_FALSE(idle.last(t0 + 1500ms, 100)); // nothing came since
}

TEST_CASE("interval lines, as text and as NDJSON", "[progress]") {
    Interval i;
    i.start = 1;
    i.end = 2;
    i.bytes = 125000000;
    CHECK(zcrx::progress::text_line(i) == "[  1.00-  2.00 s] 125000000 bytes, 1.000 Gbit/s");
    i.cqes = 42;
    CHECK(zcrx::progress::text_line(i) ==
          "[  1.00-  2.00 s] 125000000 bytes, 1.000 Gbit/s, 42 cqes");
    CHECK(zcrx::progress::json_line(i, "zcrx-recv") ==
          "{\"version\":1,\"type\":\"interval\",\"tool\":\"zcrx-recv\",\"start\":1.0,"
          "\"end\":2.0,\"bytes\":125000000,\"gbit_per_s\":1.0,\"cqes\":42}");
}
