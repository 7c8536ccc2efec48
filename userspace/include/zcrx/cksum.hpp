// The checksum POSIX cksum(1) prints, computed over a stream chunk by chunk,
// so a receiver's result can be compared with "cksum < file" on the sender.
//
// CRC-32 with polynomial 0x04c11db7, most significant bit first, initial
// value 0; after the data, the stream length is fed in as little-endian
// bytes (only as many as it needs), and the result is complemented.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace zcrx {

class PosixCksum {
public:
    void update(std::span<const std::byte> data) noexcept;

    // The value cksum prints for everything passed to update() so far. Does
    // not change the state: more data may follow.
    [[nodiscard]] std::uint32_t value() const noexcept;
    [[nodiscard]] std::uint64_t length() const noexcept { return length_; }

private:
    std::uint32_t crc_ = 0;
    std::uint64_t length_ = 0;
};

} // namespace zcrx
