#include "zcrx/cksum.hpp"

#include <array>

namespace zcrx {

namespace {

constexpr std::uint32_t polynomial = 0x04c11db7;

constexpr std::array<std::uint32_t, 256> make_table() noexcept {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < table.size(); ++i) {
        std::uint32_t crc = i << 24;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x80000000U) ? (crc << 1) ^ polynomial : crc << 1;
        table[i] = crc;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> table = make_table();

constexpr std::uint32_t step(std::uint32_t crc, std::uint8_t byte) noexcept {
    return (crc << 8) ^ table[(crc >> 24) ^ byte];
}

} // namespace

void PosixCksum::update(std::span<const std::byte> data) noexcept {
    std::uint32_t crc = crc_;
    for (const std::byte b : data)
        crc = step(crc, static_cast<std::uint8_t>(b));
    crc_ = crc;
    length_ += data.size();
}

std::uint32_t PosixCksum::value() const noexcept {
    std::uint32_t crc = crc_;
    for (std::uint64_t n = length_; n != 0; n >>= 8)
        crc = step(crc, static_cast<std::uint8_t>(n & 0xff));
    return ~crc;
}

} // namespace zcrx
