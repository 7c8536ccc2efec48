// Memory mapped with mmap(), owned: unmapped when its owner goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "zcrx/result.hpp"

namespace zcrx {

// A move-only mmap()ed range, unmapped on destruction.
class Mapping {
public:
    Mapping() noexcept = default;
    // Private anonymous memory; huge: MAP_HUGETLB (len a multiple of the
    // default huge page size, and huge pages reserved).
    [[nodiscard]] static Result<Mapping> anonymous(std::size_t len, bool huge,
                                                   const std::string &what);
    // MAP_SHARED, read-write, of fd at offset.
    [[nodiscard]] static Result<Mapping> shared(int fd, std::uint64_t offset, std::size_t len,
                                                const std::string &what);

    Mapping(const Mapping &) = delete;
    Mapping &operator=(const Mapping &) = delete;
    Mapping(Mapping &&other) noexcept;
    Mapping &operator=(Mapping &&other) noexcept;
    ~Mapping() { reset(); }

    [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {addr_, len_}; }
    void reset() noexcept;

private:
    Mapping(std::byte *addr, std::size_t len) noexcept : addr_(addr), len_(len) {}

    std::byte *addr_ = nullptr;
    std::size_t len_ = 0;
};

} // namespace zcrx
