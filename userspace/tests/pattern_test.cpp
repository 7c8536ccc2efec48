#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <unordered_set>
#include <vector>

#include "zcrx/pattern.hpp"

namespace pattern = zcrx::pattern;
using Bytes = std::vector<std::byte>;

namespace {

Bytes filled(std::uint64_t offset, std::size_t n) {
    Bytes b(n);
    pattern::fill(offset, b);
    return b;
}

// Stream offsets where alignment, word and 32-bit boundaries are interesting.
constexpr std::uint64_t bases[] = {0,
                                   1,
                                   7,
                                   8,
                                   9,
                                   4095,
                                   (std::uint64_t{1} << 32) - 3,
                                   (std::uint64_t{1} << 40) + 5,
                                   ~std::uint64_t{0} - 4096};

} // namespace

static_assert(pattern::byte_at(0) == static_cast<std::uint8_t>(pattern::word(0)));
static_assert(pattern::byte_at(9) == static_cast<std::uint8_t>(pattern::word(1) >> 8));

TEST_CASE("fill writes byte_at for every offset", "[pattern]") {
    for (const std::uint64_t base : bases) {
        const Bytes b = filled(base, 100);
        int wrong = 0;
        for (std::size_t i = 0; i < b.size(); ++i)
            wrong += static_cast<std::uint8_t>(b[i]) != pattern::byte_at(base + i);
        INFO("base " << base);
        CHECK(wrong == 0);
    }
}

TEST_CASE("the pattern is a function of the offset only: any split fills the same bytes",
          "[pattern]") {
    for (const std::uint64_t base : bases) {
        const Bytes whole = filled(base, 64);
        for (std::size_t split = 0; split <= whole.size(); ++split) {
            Bytes parts(whole.size());
            pattern::fill(base, std::span(parts).first(split));
            pattern::fill(base + split, std::span(parts).subspan(split));
            INFO("base " << base << " split " << split);
            CHECK(parts == whole);
        }
    }
}

TEST_CASE("verify accepts any chunk at its own offset, at arbitrary split points", "[pattern]") {
    constexpr std::uint64_t base = 1000003;
    const Bytes stream = filled(base, 1 << 16);
    std::mt19937_64 rng(42);
    int rejected = 0;
    for (int i = 0; i < 2000; ++i) {
        const std::size_t start = rng() % stream.size();
        const std::size_t len = rng() % (stream.size() - start + 1);
        const std::span<const std::byte> chunk = std::span(stream).subspan(start, len);
        rejected += pattern::verify(base + start, chunk).has_value();
    }
    CHECK(rejected == 0);

    // Every split of a short window into two chunks verifies.
    for (std::size_t split = 0; split <= 40; ++split) {
        const std::span<const std::byte> w = std::span(stream).subspan(13, 40);
        CHECK_FALSE(pattern::verify(base + 13, w.first(split)).has_value());
        CHECK_FALSE(pattern::verify(base + 13 + split, w.subspan(split)).has_value());
    }
    CHECK_FALSE(pattern::verify(12345, {}).has_value());
}

TEST_CASE("verify rejects data at the wrong offset", "[pattern]") {
    const Bytes b = filled(4096, 64);
    for (const std::int64_t shift : {-4096, -64, -8, -1, 1, 3, 8, 64, 1 << 20}) {
        INFO("shift " << shift);
        const auto m = pattern::verify(static_cast<std::uint64_t>(4096 + shift), b);
        REQUIRE(m.has_value());
        // The first 16 bytes already give it away.
        CHECK(m->offset < static_cast<std::uint64_t>(4096 + shift) + 16);
    }
}

TEST_CASE("verify reports the first wrong byte exactly", "[pattern]") {
    for (const std::uint64_t base : bases) {
        for (const std::size_t pos : {std::size_t{0}, std::size_t{5}, std::size_t{8},
                                      std::size_t{63}, std::size_t{64}, std::size_t{99}}) {
            Bytes b = filled(base, 100);
            const std::uint8_t want = pattern::byte_at(base + pos);
            b[pos] ^= std::byte{0x20};
            const auto m = pattern::verify(base, b);
            INFO("base " << base << " pos " << pos);
            REQUIRE(m.has_value());
            CHECK(*m ==
                  pattern::Mismatch{base + pos, want, static_cast<std::uint8_t>(want ^ 0x20)});
        }
    }
}

TEST_CASE("Verifier checks a stream chunk by chunk and stops at the first mismatch", "[pattern]") {
    const Bytes stream = filled(0, 10000);
    std::mt19937 rng(7);

    pattern::Verifier v;
    std::size_t at = 0;
    while (at < stream.size()) {
        const std::size_t n = std::min<std::size_t>(rng() % 700, stream.size() - at);
        CHECK(v.update(std::span(stream).subspan(at, n)));
        at += n;
    }
    CHECK(v.ok());
    CHECK(v.offset() == stream.size());
    CHECK_FALSE(v.mismatch().has_value());

    Bytes bad = stream;
    bad[5000] = ~bad[5000];
    pattern::Verifier w;
    CHECK(w.update(std::span(bad).first(4000)));
    CHECK_FALSE(w.update(std::span(bad).subspan(4000, 3000)));
    CHECK(w.offset() == 7000);
    REQUIRE(w.mismatch().has_value());
    CHECK(w.mismatch()->offset == 5000);
    // Later good data does not clear it.
    CHECK_FALSE(w.update(std::span(bad).subspan(7000)));
    CHECK_FALSE(w.ok());
    CHECK(w.mismatch()->offset == 5000);

    pattern::Verifier mid(4096);
    CHECK(mid.update(std::span(stream).subspan(4096, 100)));
    CHECK(mid.offset() == 4196);
}

TEST_CASE("pattern words do not repeat, so reordered data is caught", "[pattern]") {
    std::unordered_set<std::uint64_t> seen;
    for (std::uint64_t i = 0; i < (1 << 16); ++i)
        seen.insert(pattern::word(i));
    seen.insert(pattern::word(~std::uint64_t{0}));
    seen.insert(pattern::word(std::uint64_t{1} << 40));
    CHECK(seen.size() == (1 << 16) + 2);

    // Two adjacent 8-byte words swapped: detected at the first of them.
    Bytes b = filled(0, 32);
    std::swap_ranges(b.begin() + 8, b.begin() + 16, b.begin() + 16);
    const auto m = pattern::verify(0, b);
    REQUIRE(m.has_value());
    CHECK(m->offset >= 8);
    CHECK(m->offset < 16);
}
