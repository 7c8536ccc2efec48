#include "zcrx/ifq.hpp"

#include <net/if.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <utility>

#include "zcrx/area.hpp"

namespace zcrx {

namespace {

std::uint64_t page_size() noexcept {
    const long sz = ::sysconf(_SC_PAGESIZE);
    return sz > 0 ? static_cast<std::uint64_t>(sz) : 4096;
}

std::string queue_name(const IfqConfig &c) {
    const std::string dev = c.if_name.empty() ? "ifindex " + std::to_string(c.if_index) : c.if_name;
    return dev + " queue " + std::to_string(c.rx_queue);
}

// liburing 2.3's wrapper returns -errno on some builds and -1/errno on
// others; the raw syscalls are unambiguous.
int register_ifq(int ring_fd, uapi::zcrx_ifq_reg &reg) noexcept {
    const long ret = ::syscall(__NR_io_uring_register, ring_fd, uapi::register_zcrx_ifq, &reg, 1);
    return ret < 0 ? errno : 0;
}

int zcrx_ctrl(int ring_fd, uapi::zcrx_ctrl &ctrl) noexcept {
    const long ret = ::syscall(__NR_io_uring_register, ring_fd, uapi::register_zcrx_ctrl, &ctrl, 0);
    return ret < 0 ? errno : 0;
}

} // namespace

Result<RefillRing> refill_ring_in(std::span<std::byte> region, const uapi::zcrx_offsets &offsets,
                                  std::uint32_t entries) {
    const auto bad = [](std::string why) {
        return Error(EINVAL, "use the refill ring the kernel reported", std::move(why),
                     "the kernel and this library disagree on the refill-ring layout; "
                     "check that both implement the same zcrx uAPI");
    };
    if (!RefillRing::valid_entries(entries) || entries > max_rq_entries)
        return bad(std::to_string(entries) + " entries is not a power of two up to " +
                   std::to_string(max_rq_entries));
    const std::uint64_t size = region.size();
    const std::uint64_t rq_bytes = std::uint64_t{entries} * sizeof(uapi::zcrx_rqe);
    if (offsets.head % alignof(std::uint32_t) || offsets.tail % alignof(std::uint32_t) ||
        offsets.rqes % alignof(uapi::zcrx_rqe))
        return bad("misaligned head, tail or entries offset");
    if (size < sizeof(std::uint32_t) || offsets.head > size - sizeof(std::uint32_t) ||
        offsets.tail > size - sizeof(std::uint32_t) || offsets.rqes > size ||
        rq_bytes > size - offsets.rqes)
        return bad("head, tail or entries lie outside the " + std::to_string(size) +
                   "-byte region");
    if (offsets.head == offsets.tail ||
        (offsets.head >= offsets.rqes && offsets.head < offsets.rqes + rq_bytes) ||
        (offsets.tail >= offsets.rqes && offsets.tail < offsets.rqes + rq_bytes))
        return bad("head, tail and entries overlap");
    std::byte *base = region.data();
    return RefillRing(reinterpret_cast<std::uint32_t *>(base + offsets.head),
                      reinterpret_cast<std::uint32_t *>(base + offsets.tail),
                      reinterpret_cast<uapi::zcrx_rqe *>(base + offsets.rqes), entries);
}

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

Result<std::uint32_t> interface_index(const std::string &name) {
    const unsigned idx = ::if_nametoindex(name.c_str());
    if (idx == 0) {
        const int err = errno == ENXIO ? ENODEV : errno;
        return Error(err, "find interface " + name, {},
                     "no interface of that name in this network namespace: check ip link "
                     "(and ip netns exec)");
    }
    return std::uint32_t{idx};
}

Result<Ifq> Ifq::create(Ring &ring, const IfqConfig &config) {
    const std::uint64_t page = page_size();
    const std::string qname = queue_name(config);

    const std::uint32_t entries = rq_entries_for(config.rq_entries);
    if (entries == 0)
        return Error(EINVAL, "size the refill ring of " + qname,
                     std::to_string(config.rq_entries) + " entries",
                     "use 1 to " + std::to_string(max_rq_entries) + " refill entries");
    const std::uint64_t area_len = (config.area_size + page - 1) & ~(page - 1);
    if (area_len == 0 || area_len > max_area_len)
        return Error(EINVAL, "size the area of " + qname,
                     std::to_string(config.area_size) + " bytes",
                     "use an area of one page up to 2^48 bytes");
    if (!(ring.flags() & uapi::setup_defer_taskrun) || !(ring.flags() & uapi::setup_cqe32))
        return Error(EINVAL, "register zcrx ifq on " + qname, "the ring lacks required flags",
                     "create the ring with IORING_SETUP_DEFER_TASKRUN | "
                     "IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32 (zcrx::Ring does)");

    Ifq ifq;
    ifq.region_kind_ = config.region;
    {
        Result<Mapping> area = Mapping::anonymous(static_cast<std::size_t>(area_len),
                                                  config.huge_pages, "map the area for " + qname);
        if (!area)
            return std::move(area).error();
        ifq.area_ = std::move(area).value();
    }

    uapi::region_desc rd{};
    rd.size = region_size(entries, page);
    if (config.region == RegionKind::user) {
        Result<Mapping> region = Mapping::anonymous(static_cast<std::size_t>(rd.size), false,
                                                    "map the refill ring for " + qname);
        if (!region)
            return std::move(region).error();
        ifq.region_ = std::move(region).value();
        rd.user_addr = reinterpret_cast<std::uintptr_t>(ifq.region_.bytes().data());
        rd.flags = uapi::mem_region_type_user;
    }

    uapi::zcrx_area_reg area_reg{};
    area_reg.addr = reinterpret_cast<std::uintptr_t>(ifq.area_.bytes().data());
    area_reg.len = area_len;

    uapi::zcrx_ifq_reg reg{};
    reg.if_idx = config.if_index;
    reg.if_rxq = config.rx_queue;
    reg.rq_entries = entries;
    reg.area_ptr = reinterpret_cast<std::uintptr_t>(&area_reg);
    reg.region_ptr = reinterpret_cast<std::uintptr_t>(&rd);

    if (const int err = register_ifq(ring.fd(), reg); err != 0)
        return Error(err, "register zcrx ifq on " + qname);
    // From here on the ifq exists until the ring is closed, even if we fail.

    if (config.region == RegionKind::kernel) {
        Result<Mapping> region =
            Mapping::shared(ring.fd(), rd.mmap_offset, static_cast<std::size_t>(rd.size),
                            "map the kernel's refill ring for " + qname);
        if (!region)
            return std::move(region).error();
        ifq.region_ = std::move(region).value();
    }

    Result<RefillRing> rq = refill_ring_in(ifq.region_.bytes(), reg.offsets, reg.rq_entries);
    if (!rq)
        return std::move(rq).error();
    ifq.rq_entries_ = reg.rq_entries;
    ifq.offsets_ = reg.offsets;
    ifq.area_token_ = area_reg.rq_area_token;
    ifq.id_ = reg.zcrx_id;
    ifq.ring_fd_ = ring.fd();

    try {
        ifq.refill_ = std::make_unique<RefillQueue>(std::move(rq).value(), ifq.area_.bytes(),
                                                    area_reg.rq_area_token, config.refill_batch,
                                                    static_cast<std::size_t>(area_len / page));
    } catch (const std::bad_alloc &) {
        return Error(ENOMEM, "allocate the refill queue of " + qname, {}, "");
    }
    return ifq;
}

Result<void> Ifq::flush_refill() {
    // Each flush empties the ring, which makes room for returns that waited
    // for it: the loop ends once none is left.
    do {
        refill_->flush();
        uapi::zcrx_ctrl ctrl{};
        ctrl.zcrx_id = id_;
        ctrl.op = uapi::ctrl_flush_rq;
        if (const int err = zcrx_ctrl(ring_fd_, ctrl); err != 0)
            return Error(err, "flush the refill ring of zcrx ifq " + std::to_string(id_), {},
                         err == EINVAL ? std::optional<std::string>(
                                             "the kernel lacks IORING_REGISTER_ZCRX_CTRL: it "
                                             "needs Linux 6.19 or later, or the zcrx patch series")
                                       : std::nullopt);
    } while (refill_->unpublished() != 0);
    return {};
}

} // namespace zcrx
