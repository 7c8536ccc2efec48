#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <ostream>

#include "zcrx/area.hpp"

using zcrx::AreaOffset;

namespace zcrx {
// Lets Catch2 print decoded offsets in failure messages.
std::ostream &operator<<(std::ostream &os, const AreaOffset &at) {
    return os << "{area " << at.area_id << ", offset 0x" << std::hex << at.offset << std::dec
              << '}';
}
} // namespace zcrx

namespace {
constexpr std::uint64_t page = 4096;
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
} // namespace

static_assert(zcrx::decode_off(zcrx::encode_off(3, 0x1234)) == AreaOffset{3, 0x1234});

TEST_CASE("CQE offsets decode into area id and byte offset", "[area]") {
    CHECK(zcrx::decode_off(0) == AreaOffset{0, 0});
    CHECK(zcrx::decode_off(0x0001'0000'0000'2000ULL) == AreaOffset{1, 0x2000});
    CHECK(zcrx::decode_off(u64_max) == AreaOffset{0xffff, zcrx::max_area_len - 1});
}

TEST_CASE("encode and decode round-trip", "[area]") {
    const std::uint16_t ids[] = {0, 1, 7, 0x8000, 0xffff};
    const std::uint64_t offsets[] = {0, 1, page - 1, page, 123 * page + 17, zcrx::max_area_len - 1};
    for (const auto id : ids)
        for (const auto offset : offsets)
            CHECK(zcrx::decode_off(zcrx::encode_off(id, offset)) == AreaOffset{id, offset});

    // Every 64-bit value is some (area, offset): the other direction is exact too.
    for (const std::uint64_t off : {std::uint64_t{0}, std::uint64_t{0x0003'0000'0000'1000},
                                    std::uint64_t{0x8000'7fff'ffff'ffff}, u64_max}) {
        const AreaOffset at = zcrx::decode_off(off);
        CHECK(zcrx::encode_off(at.area_id, at.offset) == off);
    }
}

TEST_CASE("encode_off drops offset bits that would spill into the area id", "[area]") {
    CHECK(zcrx::encode_off(2, zcrx::max_area_len + 5) == zcrx::encode_off(2, 5));
    CHECK(zcrx::decode_off(zcrx::encode_off(2, u64_max)).area_id == 2);
}

TEST_CASE("refill offsets are built from the area token", "[area]") {
    const std::uint64_t token = zcrx::area_token(5);
    CHECK(token == (std::uint64_t{5} << 48));
    CHECK((token & ~zcrx::uapi::zcrx_area_mask) == 0);

    // Handing back a received buffer: the CQE off of area 5 becomes the RQE off.
    const std::uint64_t cqe_off = zcrx::encode_off(5, 42 * page + 100);
    CHECK(zcrx::make_rqe_off(token, zcrx::decode_off(cqe_off).offset) == cqe_off);

    // Junk in either argument cannot leak into the other's bits.
    CHECK(zcrx::make_rqe_off(token | 0x1234, 0x10) == (token | 0x10));
    CHECK(zcrx::make_rqe_off(token, zcrx::uapi::zcrx_area_mask | 0x10) == (token | 0x10));
}

TEST_CASE("power-of-two and alignment helpers", "[area]") {
    CHECK_FALSE(zcrx::is_power_of_two(0));
    CHECK(zcrx::is_power_of_two(1));
    CHECK(zcrx::is_power_of_two(page));
    CHECK_FALSE(zcrx::is_power_of_two(page + 1));
    CHECK(zcrx::is_power_of_two(std::uint64_t{1} << 63));

    CHECK(zcrx::is_aligned(0, page));
    CHECK(zcrx::is_aligned(3 * page, page));
    CHECK_FALSE(zcrx::is_aligned(3 * page + 8, page));
    CHECK_FALSE(zcrx::is_aligned(page, 3)); // alignment must be a power of two
    CHECK_FALSE(zcrx::is_aligned(page, 0));
}

TEST_CASE("ranges must lie inside the area", "[area]") {
    constexpr std::uint64_t area_len = 16 * page;
    CHECK(zcrx::range_in_area(0, area_len, area_len));
    CHECK(zcrx::range_in_area(area_len - 1, 1, area_len));
    CHECK(zcrx::range_in_area(area_len, 0, area_len));
    CHECK_FALSE(zcrx::range_in_area(area_len - 1, 2, area_len));
    CHECK_FALSE(zcrx::range_in_area(area_len + 1, 0, area_len));
    CHECK_FALSE(zcrx::range_in_area(0, area_len + 1, area_len));
    // offset + len would wrap around 2^64.
    CHECK_FALSE(zcrx::range_in_area(u64_max, 2, u64_max));
    CHECK_FALSE(zcrx::range_in_area(2, u64_max, u64_max));
}

TEST_CASE("area layout validation", "[area]") {
    CHECK(zcrx::area_layout_valid(0x7f00'0000'0000ULL, 64 * page, page));
    CHECK(zcrx::area_layout_valid(page, zcrx::max_area_len, page));
    CHECK_FALSE(zcrx::area_layout_valid(page, 0, page));                         // empty
    CHECK_FALSE(zcrx::area_layout_valid(page + 8, 64 * page, page));             // addr unaligned
    CHECK_FALSE(zcrx::area_layout_valid(page, 64 * page + 8, page));             // len unaligned
    CHECK_FALSE(zcrx::area_layout_valid(page, zcrx::max_area_len + page, page)); // too big
    CHECK_FALSE(zcrx::area_layout_valid(page, 64 * page, 3000));                 // bad page size
    CHECK_FALSE(zcrx::area_layout_valid(u64_max - page + 1, 2 * page, page));    // wraps
}

TEST_CASE("completion chunks are checked against their area", "[area]") {
    constexpr std::uint64_t area_len = 16 * page;
    CHECK(zcrx::cqe_chunk_valid(zcrx::encode_off(1, 0), page, 1, area_len));
    CHECK(zcrx::cqe_chunk_valid(zcrx::encode_off(1, area_len - 10), 10, 1, area_len));
    CHECK_FALSE(zcrx::cqe_chunk_valid(zcrx::encode_off(1, area_len - 10), 11, 1, area_len));
    CHECK_FALSE(zcrx::cqe_chunk_valid(zcrx::encode_off(2, 0), 1, 1, area_len)); // wrong area
    CHECK_FALSE(zcrx::cqe_chunk_valid(zcrx::encode_off(1, area_len), 1, 1, area_len));
}
