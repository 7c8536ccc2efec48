#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "zcrx/bench.hpp"
#include "zcrx/pattern.hpp"

namespace bench = zcrx::bench;

TEST_CASE("bench: /proc/stat gives busy and total ticks per CPU", "[bench]") {
    const auto cpus = bench::parse_proc_stat("cpu  30 0 30 200 2 1 1 0 0 0\n"
                                             "cpu0 10 1 20 100 1 1 1 0 5 0\n"
                                             "cpu1 20 0 10 100 1 0 0 2 0 0\n"
                                             "intr 12345 0 0\n"
                                             "ctxt 999\n");
    REQUIRE(cpus);
    REQUIRE(cpus->size() == 2);
    // busy: user nice system irq softirq steal; guest is in user already
    CHECK((*cpus)[0].busy == 10 + 1 + 20 + 1 + 1);
    CHECK((*cpus)[0].total == 33 + 100 + 1);
    CHECK((*cpus)[1].busy == 20 + 10 + 2);
    CHECK((*cpus)[1].total == 32 + 101);
}

TEST_CASE("bench: an offline CPU is a gap with no ticks", "[bench]") {
    const auto cpus = bench::parse_proc_stat("cpu0 1 0 1 1 0 0 0 0\ncpu2 5 0 5 5 0 0 0 0\n");
    REQUIRE(cpus);
    REQUIRE(cpus->size() == 3);
    CHECK((*cpus)[1].total == 0);
    CHECK((*cpus)[2].busy == 10);
}

TEST_CASE("bench: garbage is not a reading", "[bench]") {
    CHECK_FALSE(bench::parse_proc_stat(""));
    CHECK_FALSE(bench::parse_proc_stat("cpu  1 2 3 4\n"));
    CHECK_FALSE(bench::parse_proc_stat("cpu0 1 2\n"));
    CHECK_FALSE(bench::parse_proc_stat("cpu0 a b c d\n"));
}

TEST_CASE("bench: ticks between two readings", "[bench]") {
    const std::vector<bench::CpuTicks> a = {{10, 100}, {20, 100}};
    const std::vector<bench::CpuTicks> b = {{15, 110}, {29, 110}, {3, 4}};
    CHECK(bench::ticks_between(a, b, 0).busy == 5);
    CHECK(bench::ticks_between(a, b, 1).total == 10);
    CHECK(bench::ticks_between(a, b, 2).busy == 3); // came online in between
    CHECK(bench::ticks_between(a, b, 7).total == 0);
    CHECK(bench::busy_between(a, b) == 5 + 9 + 3);
}

TEST_CASE("bench: median, minimum and maximum", "[bench]") {
    const bench::Spread odd = bench::spread_of({3, 1, 2});
    CHECK(odd.median == 2);
    CHECK(odd.min == 1);
    CHECK(odd.max == 3);
    CHECK(bench::spread_of({4, 1, 2, 3}).median == 2.5);
    CHECK(bench::spread_of({}).median == 0);
}

TEST_CASE("bench: a periodic pattern repeats zcrx-send's pattern", "[bench]") {
    const bench::PeriodicPattern p(1000, 300);
    const auto all = p.at(0, 5000);
    REQUIRE(all.size() == 1300);
    for (std::size_t i = 0; i < all.size(); ++i)
        REQUIRE(static_cast<std::uint8_t>(all[i]) == zcrx::pattern::byte_at(i % 1000));
    // from any offset, the next bytes are there back to back
    const auto tail = p.at(2990, 300);
    REQUIRE(tail.size() == 300);
    CHECK(p.matches(2990, tail));
    CHECK(p.matches(12345, p.at(12345, 200)));
}

TEST_CASE("bench: shifted or changed data does not match", "[bench]") {
    const bench::PeriodicPattern p(1000, 300);
    CHECK_FALSE(p.matches(1, p.at(0, 100)));
    std::vector<std::byte> copy(p.at(500, 300).begin(), p.at(500, 300).end());
    CHECK(p.matches(500, copy));
    copy[299] ^= std::byte{1};
    CHECK_FALSE(p.matches(500, copy));
    // longer than the tail: checked across the wrap
    std::vector<std::byte> longer;
    for (std::uint64_t o = 900; o < 2600; o += 100) {
        const auto part = p.at(o, 100);
        longer.insert(longer.end(), part.begin(), part.end());
    }
    CHECK(p.matches(900, longer));
    CHECK(p.matches(1900, longer));
    CHECK_FALSE(p.matches(901, longer));
}
