#include "zcrx/mapping.hpp"

#include <sys/mman.h>
#include <sys/types.h>

#include <cerrno>
#include <utility>

namespace zcrx {

Result<Mapping> Mapping::anonymous(std::size_t len, bool huge, const std::string &what) {
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0);
    void *p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) {
        const int err = errno;
        if (huge)
            return Error(err, what, {},
                         "reserve huge pages (/proc/sys/vm/nr_hugepages) and use a multiple "
                         "of the huge page size, or do without huge pages");
        return Error(err, what, {}, "");
    }
    return Mapping(static_cast<std::byte *>(p), len);
}

Result<Mapping> Mapping::shared(int fd, std::uint64_t offset, std::size_t len,
                                const std::string &what) {
    void *p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                     static_cast<off_t>(offset));
    if (p == MAP_FAILED)
        return Error(errno, what, {}, "");
    return Mapping(static_cast<std::byte *>(p), len);
}

Mapping::Mapping(Mapping &&other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), len_(std::exchange(other.len_, 0)) {}

Mapping &Mapping::operator=(Mapping &&other) noexcept {
    if (this != &other) {
        reset();
        addr_ = std::exchange(other.addr_, nullptr);
        len_ = std::exchange(other.len_, 0);
    }
    return *this;
}

void Mapping::reset() noexcept {
    if (addr_)
        ::munmap(addr_, len_);
    addr_ = nullptr;
    len_ = 0;
}

} // namespace zcrx
