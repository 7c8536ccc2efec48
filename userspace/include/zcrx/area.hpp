// Offsets into a zcrx memory area.
//
// A RECV_ZC completion carries off = (area_id << 48) | byte_offset. The kernel
// returns an area token (area_id << 48) at registration; a refill entry hands
// a buffer back as token | byte_offset.
#pragma once

#include <cstdint>

#include "zcrx/uapi.hpp"

namespace zcrx {

// Largest area: byte offsets must fit below the area-id bits.
inline constexpr std::uint64_t max_area_len = std::uint64_t{1} << uapi::zcrx_area_shift;
inline constexpr std::uint64_t area_offset_mask = ~uapi::zcrx_area_mask;

struct AreaOffset {
    std::uint16_t area_id = 0;
    std::uint64_t offset = 0;

    friend constexpr bool operator==(const AreaOffset &, const AreaOffset &) = default;
};

// Split a CQE's zcrx_cqe::off into area id and byte offset.
[[nodiscard]] constexpr AreaOffset decode_off(std::uint64_t off) noexcept {
    return {static_cast<std::uint16_t>(off >> uapi::zcrx_area_shift), off & area_offset_mask};
}

// Inverse of decode_off(); bits of offset above the area-id shift are dropped.
[[nodiscard]] constexpr std::uint64_t encode_off(std::uint16_t area_id,
                                                 std::uint64_t offset) noexcept {
    return (std::uint64_t{area_id} << uapi::zcrx_area_shift) | (offset & area_offset_mask);
}

// The rq_area_token the kernel reports for an area id.
[[nodiscard]] constexpr std::uint64_t area_token(std::uint16_t area_id) noexcept {
    return encode_off(area_id, 0);
}

// zcrx_rqe::off for returning the buffer at byte offset in the area of token.
[[nodiscard]] constexpr std::uint64_t make_rqe_off(std::uint64_t token,
                                                   std::uint64_t offset) noexcept {
    return (token & uapi::zcrx_area_mask) | (offset & area_offset_mask);
}

[[nodiscard]] constexpr bool is_power_of_two(std::uint64_t v) noexcept {
    return v != 0 && (v & (v - 1)) == 0;
}

// align must be a power of two.
[[nodiscard]] constexpr bool is_aligned(std::uint64_t v, std::uint64_t align) noexcept {
    return is_power_of_two(align) && (v & (align - 1)) == 0;
}

// [offset, offset + len) lies inside an area of area_len bytes (no overflow).
[[nodiscard]] constexpr bool range_in_area(std::uint64_t offset, std::uint64_t len,
                                           std::uint64_t area_len) noexcept {
    return offset <= area_len && len <= area_len - offset;
}

// What registration requires of an area: page-aligned address and length,
// non-empty, and every byte offset representable below the area-id bits.
[[nodiscard]] constexpr bool area_layout_valid(std::uint64_t addr, std::uint64_t len,
                                               std::uint64_t page_size) noexcept {
    return is_power_of_two(page_size) && len != 0 && len <= max_area_len &&
           is_aligned(addr, page_size) && is_aligned(len, page_size) && addr <= ~len;
}

// A completion (off, len) for the area with area_id and area_len is sane:
// right area, and the data lies entirely inside the area.
[[nodiscard]] constexpr bool cqe_chunk_valid(std::uint64_t off, std::uint32_t len,
                                             std::uint16_t area_id,
                                             std::uint64_t area_len) noexcept {
    const AreaOffset at = decode_off(off);
    return at.area_id == area_id && range_in_area(at.offset, len, area_len);
}

} // namespace zcrx
