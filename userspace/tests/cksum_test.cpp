#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "zcrx/cksum.hpp"

namespace {

std::span<const std::byte> bytes_of(std::string_view s) {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// Byte i is i % 251: long enough for a three-byte length in the CRC.
std::vector<std::byte> mod_251(std::size_t n) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<std::byte>(i % 251);
    return v;
}

} // namespace

TEST_CASE("cksum matches coreutils cksum", "[cksum]") {
    // Expected values are what "cksum" printed for the same input.
    zcrx::PosixCksum empty;
    CHECK(empty.value() == 4294967295U);
    CHECK(empty.length() == 0);

    zcrx::PosixCksum abc;
    abc.update(bytes_of("abc"));
    CHECK(abc.value() == 1219131554U);

    zcrx::PosixCksum digits;
    digits.update(bytes_of("123456789"));
    CHECK(digits.value() == 930766865U);
    CHECK(digits.length() == 9);

    const std::vector<std::byte> data = mod_251(70000);
    zcrx::PosixCksum whole;
    whole.update(std::span<const std::byte>(data).first(300));
    CHECK(whole.value() == 968233579U);
    whole.update(std::span<const std::byte>(data).subspan(300));
    CHECK(whole.value() == 2458292535U);
    CHECK(whole.length() == 70000);
}

TEST_CASE("cksum does not depend on how the stream is chunked", "[cksum]") {
    const std::vector<std::byte> data = mod_251(70000);
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
        zcrx::PosixCksum c;
        for (std::size_t at = 0; at < data.size(); at += chunk)
            c.update(std::span<const std::byte>(data).subspan(at).first(
                std::min(chunk, data.size() - at)));
        INFO("chunk " << chunk);
        CHECK(c.value() == 2458292535U);
    }
}
