// The verifiable data pattern zcrx-send writes and receivers check.
//
// The byte at stream offset o depends on o alone: it is byte (o % 8) of the
// little-endian 64-bit word word(o / 8). word() is a bijection of the word
// index, so no two words of a stream (below 2^67 bytes) are equal: data that
// is shifted, repeated, dropped or reordered fails verification, and any
// chunk can be checked on its own given its stream offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace zcrx::pattern {

// Word index -> pattern word. Each step (add, xor-shift, multiply by an odd
// constant) is invertible, hence the whole mix is. The constants are the
// first fraction digits of pi and e: any odd numbers would do.
[[nodiscard]] constexpr std::uint64_t word(std::uint64_t index) noexcept {
    std::uint64_t x = index + 0x243f6a8885a308d3U;
    x ^= x >> 29;
    x *= 0xb7e151628aed2a6bU;
    x ^= x >> 32;
    x *= 0x243f6a8885a308d3U;
    x ^= x >> 29;
    return x;
}

[[nodiscard]] constexpr std::uint8_t byte_at(std::uint64_t offset) noexcept {
    return static_cast<std::uint8_t>(word(offset / 8) >> (8 * (offset % 8)));
}

// Write the pattern bytes for stream offsets [offset, offset + dst.size()).
void fill(std::uint64_t offset, std::span<std::byte> dst) noexcept;

struct Mismatch {
    std::uint64_t offset = 0; // stream offset of the first wrong byte
    std::uint8_t expected = 0;
    std::uint8_t actual = 0;

    friend constexpr bool operator==(const Mismatch &, const Mismatch &) = default;
};

// Check data against the pattern for stream offsets [offset, offset + size).
[[nodiscard]] std::optional<Mismatch> verify(std::uint64_t offset,
                                             std::span<const std::byte> data) noexcept;

// Checks one stream chunk by chunk, in order; stops at the first mismatch.
class Verifier {
public:
    explicit Verifier(std::uint64_t start_offset = 0) noexcept : offset_(start_offset) {}

    // Checks the next data.size() bytes of the stream. Returns ok().
    bool update(std::span<const std::byte> data) noexcept {
        if (failed_)
            return false;
        if (const std::optional<Mismatch> m = verify(offset_, data)) {
            mismatch_ = *m;
            failed_ = true;
        }
        offset_ += data.size();
        return !failed_;
    }

    [[nodiscard]] bool ok() const noexcept { return !failed_; }
    // Stream offset after the bytes seen so far.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    // The first wrong byte, if any.
    [[nodiscard]] std::optional<Mismatch> mismatch() const noexcept {
        return failed_ ? std::optional<Mismatch>(mismatch_) : std::nullopt;
    }

private:
    std::uint64_t offset_;
    Mismatch mismatch_{};
    bool failed_ = false;
};

} // namespace zcrx::pattern
