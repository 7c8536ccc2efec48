#include "zcrx/pattern.hpp"

#include <bit>
#include <cstring>

namespace zcrx::pattern {

namespace {

constexpr std::uint64_t to_little_endian(std::uint64_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little)
        return v;
    else
        return __builtin_bswap64(v);
}

// Bytes from offset up to the next multiple of 8 (0 if aligned), capped at n.
constexpr std::size_t head_len(std::uint64_t offset, std::size_t n) noexcept {
    const std::size_t to_boundary = static_cast<std::size_t>((8 - offset % 8) % 8);
    return to_boundary < n ? to_boundary : n;
}

std::optional<Mismatch> first_wrong_byte(std::uint64_t offset, const std::byte *data,
                                         std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t want = byte_at(offset + i);
        const auto got = static_cast<std::uint8_t>(data[i]);
        if (want != got)
            return Mismatch{offset + i, want, got};
    }
    return std::nullopt;
}

} // namespace

void fill(std::uint64_t offset, std::span<std::byte> dst) noexcept {
    std::byte *p = dst.data();
    std::size_t n = dst.size();

    const std::size_t head = head_len(offset, n);
    for (std::size_t i = 0; i < head; ++i)
        p[i] = static_cast<std::byte>(byte_at(offset + i));
    p += head;
    n -= head;
    offset += head;

    std::uint64_t index = offset / 8;
    for (; n >= 8; n -= 8, p += 8, offset += 8) {
        const std::uint64_t w = to_little_endian(word(index++));
        std::memcpy(p, &w, sizeof(w));
    }

    for (std::size_t i = 0; i < n; ++i)
        p[i] = static_cast<std::byte>(byte_at(offset + i));
}

std::optional<Mismatch> verify(std::uint64_t offset, std::span<const std::byte> data) noexcept {
    const std::byte *p = data.data();
    std::size_t n = data.size();

    const std::size_t head = head_len(offset, n);
    if (auto m = first_wrong_byte(offset, p, head))
        return m;
    p += head;
    n -= head;
    offset += head;

    std::uint64_t index = offset / 8;
    for (; n >= 8; n -= 8, p += 8, offset += 8) {
        const std::uint64_t want = to_little_endian(word(index++));
        std::uint64_t got;
        std::memcpy(&got, p, sizeof(got));
        if (got != want)
            return first_wrong_byte(offset, p, 8);
    }

    return first_wrong_byte(offset, p, n);
}

} // namespace zcrx::pattern
