// zcrx-fuzz reg: random IORING_REGISTER_ZCRX_IFQ structures.
//
// Each try starts from a registration that would succeed and breaks one to
// three fields of the ifq, area and region structures, of the call (nr_args,
// the argument pointer) or of the ring: random values, zero and huge sizes,
// pointers to unmapped, read-only, unaligned or kernel memory. Some make it
// device-less (ZCRX_REG_NODEV): without a device, or still naming one, with
// a dma-buf area, buffers of several pages or another flag. The answer
// must be success or an errno Documentation/networking/iou-zcrx.rst names,
// and exactly the one the mutation calls for where it was the only one
// (a device-less registration that names a device is EINVAL, one that does
// not registers, unless the kernel's query lacks the flag);
// a registration that succeeds first gets IORING_REGISTER_ZCRX_CTRL calls,
// valid or with one field broken, an export and imports of it into a second
// ring (valid, or with a bad descriptor or a field an import must not set),
// and the same queue registered again (EEXIST; a device-less ifq has no
// queue and registers again), then is undone by closing
// its rings and export descriptor (and the next registration on the queue
// must not see EEXIST for them).
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/query.hpp"
#include "zcrx/ring.hpp"

namespace fuzz {

namespace {

namespace uapi = zcrx::uapi;

constexpr std::size_t area_len = 16 * 4096;

// The memory the pointers of a try point into, mapped once.
struct Memory {
    zcrx::Mapping area;     // read-write: a valid area
    zcrx::Mapping region;   // read-write: a valid user region
    zcrx::Mapping readonly; // PROT_READ: structs that cannot be written back
    std::uint64_t unmapped = 0;
    std::byte *ro = nullptr;
};

Memory map_memory() {
    Memory m;
    zcrx::Result<zcrx::Mapping> a = zcrx::Mapping::anonymous(area_len, false, "map an area");
    zcrx::Result<zcrx::Mapping> r = zcrx::Mapping::anonymous(4 * 4096, false, "map a region");
    zcrx::Result<zcrx::Mapping> ro = zcrx::Mapping::anonymous(4 * 4096, false, "map read-only");
    if (!a || !r || !ro)
        throw std::runtime_error("map the fuzzing memory: " + errno_string(ENOMEM));
    m.area = std::move(a).value();
    m.region = std::move(r).value();
    m.readonly = std::move(ro).value();
    m.ro = m.readonly.bytes().data();
    // a hole: mapped, then unmapped, so nothing else is there
    void *hole = ::mmap(nullptr, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (hole == MAP_FAILED)
        throw std::runtime_error("map a hole: " + errno_string(errno));
    ::munmap(hole, 1 << 20);
    m.unmapped = reinterpret_cast<std::uintptr_t>(hole);
    return m;
}

struct Try {
    uapi::zcrx_ifq_reg reg{};
    uapi::zcrx_area_reg area{};
    uapi::region_desc rd{};
    uapi::zcrx_event_desc ev{}; // what reg.event_desc points to, if set
    unsigned nr_args = 1;
    // where the structs go: nullopt = our writable copies
    std::optional<std::uint64_t> arg_ptr, area_ptr, region_ptr;
    bool plain_ring = false; // a ring without DEFER_TASKRUN and CQE32
    std::string what;        // the mutations, for the tally
    // The one answer a mutation allows when it is the only one of the try.
    std::optional<int> want;
};

using Mutation = std::pair<const char *, std::function<void(Try &, std::mt19937_64 &)>>;

// A valid event descriptor: both types, and statistics at the end of the
// refill region (its entries end far below that)
void events(Try &t) {
    t.ev = {};
    t.ev.type_mask = 1U << uapi::event_alloc_fail | 1U << uapi::event_copy;
    t.ev.flags = uapi::event_desc_flag_stats;
    t.ev.stats_offset = t.rd.size - sizeof(uapi::zcrx_stats);
    t.reg.event_desc = reinterpret_cast<std::uintptr_t>(&t.ev);
}

std::uint64_t bad_pointer(std::mt19937_64 &rng, const Memory &m) {
    switch (pick(rng, 0, 5)) {
    case 0:
        return 0;
    case 1:
        return m.unmapped + pick<std::uint64_t>(rng, 0, 255) * 4096;
    case 2:
        return 0xffff888000000000ULL + pick<std::uint64_t>(rng, 0, 1 << 20) * 4096; // kernel
    case 3:
        return rng();
    case 4:
        return UINT64_MAX - pick<std::uint64_t>(rng, 0, 8191);
    default:
        return reinterpret_cast<std::uintptr_t>(m.area.bytes().data()) +
               pick<std::uint64_t>(rng, 1, 4095);
    }
}

// Device-less registrations (ZCRX_REG_NODEV). nodev: the kernel's query
// reports the flag; without it, every one of them is EINVAL.
std::vector<Mutation> nodev_mutations(bool nodev) {
    const int accepted = nodev ? 0 : EINVAL;
    const auto no_device = [](Try &t) {
        t.reg.flags = uapi::reg_nodev;
        t.reg.if_idx = 0;
        t.reg.if_rxq = 0;
    };
    return {
        {"NODEV without a device",
         [=](Try &t, auto &) {
             no_device(t);
             t.want = accepted;
         }},
        // no device writes them: no contiguity asked, no huge pages needed
        {"NODEV, buffers of 2 to 16 pages",
         [=](Try &t, auto &r) {
             no_device(t);
             t.reg.rx_buf_len = 4096U << pick(r, 1, 4);
             t.want = accepted;
         }},
        {"NODEV with the device's if_idx",
         [](Try &t, auto &) {
             t.reg.flags = uapi::reg_nodev;
             t.reg.if_rxq = 0;
             t.want = EINVAL;
         }},
        {"NODEV with an if_rxq",
         [](Try &t, auto &r) {
             t.reg.flags = uapi::reg_nodev;
             t.reg.if_idx = 0;
             t.reg.if_rxq = pick<std::uint32_t>(r, 1, UINT32_MAX);
             t.want = EINVAL;
         }},
        {"NODEV with the device's if_idx and if_rxq",
         [](Try &t, auto &) {
             t.reg.flags = uapi::reg_nodev;
             t.want = EINVAL;
         }},
        // the kernel copies every byte, and cannot copy into a dma-buf
        {"NODEV, a dma-buf area",
         [=](Try &t, auto &r) {
             no_device(t);
             t.area.flags = uapi::area_dmabuf;
             t.area.dmabuf_fd = pick<std::uint32_t>(r, 0, UINT32_MAX);
             t.area.addr = 0;
             t.want = EINVAL;
         }},
        {"NODEV and IMPORT",
         [=](Try &t, auto &) {
             no_device(t);
             t.reg.flags |= uapi::reg_import;
             t.want = EINVAL;
         }},
        {"NODEV and an unknown flag",
         [=](Try &t, auto &r) {
             no_device(t);
             t.reg.flags |= 1U << pick(r, 2, 31);
             t.want = EINVAL;
         }},
    };
}

std::vector<Mutation> mutations(const Memory &m, bool nodev) {
    const auto any32 = [](std::mt19937_64 &r) {
        return one_in(r, 2) ? static_cast<std::uint32_t>(r()) : pick<std::uint32_t>(r, 1, 64);
    };
    const auto ptr = [&m](std::mt19937_64 &r) { return bad_pointer(r, m); };
    const auto len = [](std::mt19937_64 &r) -> std::uint64_t {
        switch (pick(r, 0, 4)) {
        case 0:
            return 0;
        case 1:
            return pick<std::uint64_t>(r, 1, area_len - 1); // unaligned
        case 2:
            return (std::uint64_t{1} << 30) + 4096; // over the 1 GiB limit
        case 3:
            return pick<std::uint64_t>(r, 17, 4096) * 4096; // past the mapping
        default:
            return r();
        }
    };
    std::vector<Mutation> all{
        {"if_idx", [any32](Try &t, auto &r) { t.reg.if_idx = one_in(r, 3) ? 1 : any32(r); }},
        {"if_rxq", [any32](Try &t, auto &r) { t.reg.if_rxq = one_in(r, 3) ? ~0U : any32(r) + 2; }},
        {"rq_entries",
         [](Try &t, auto &r) {
             t.reg.rq_entries = one_in(r, 3)   ? 0
                                : one_in(r, 2) ? pick<std::uint32_t>(r, 32769, UINT32_MAX)
                                               : pick<std::uint32_t>(r, 1, 256);
         }},
        {"flags", [any32](Try &t, auto &r) { t.reg.flags = any32(r); }},
        {"zcrx_id", [any32](Try &t, auto &r) { t.reg.zcrx_id = any32(r); }},
        {"rx_buf_len", [any32](Try &t, auto &r) { t.reg.rx_buf_len = any32(r); }},
        {"__resv", [](Try &t, auto &r) { t.reg.resv[pick(r, 0, 1)] = r() | 1; }},
        // events (Linux 7.2): the descriptor's checks, each alone exact
        {"event_desc",
         [](Try &t, auto &) {
             events(t);
             t.want = 0;
         }},
        {"event_desc: unknown type",
         [](Try &t, auto &r) {
             events(t);
             t.ev.type_mask |= 1U << pick(r, 2, 31);
             t.want = EINVAL;
         }},
        {"event_desc: unknown flag",
         [](Try &t, auto &r) {
             events(t);
             t.ev.flags |= 1U << pick(r, 1, 31);
             t.want = EINVAL;
         }},
        {"event_desc: stats on the refill entries",
         [](Try &t, auto &r) {
             events(t);
             t.ev.stats_offset = pick<std::uint64_t>(r, 0, 128) * 8;
             t.want = EINVAL;
         }},
        {"event_desc: stats past the region",
         [](Try &t, auto &r) {
             events(t);
             t.ev.stats_offset = one_in(r, 2) ? t.rd.size - 8 : (r() | 8) & ~7ULL;
             t.want = EINVAL;
         }},
        {"event_desc: stats misaligned",
         [](Try &t, auto &r) {
             events(t);
             t.ev.stats_offset -= pick<std::uint64_t>(r, 1, 7);
             t.want = EINVAL;
         }},
        {"event_desc: stats offset without the flag",
         [](Try &t, auto &) {
             events(t);
             t.ev.flags = 0;
             t.want = EINVAL;
         }},
        {"event_desc: __resv2",
         [](Try &t, auto &r) {
             events(t);
             t.ev.resv2[pick(r, 0, 8)] = r() | 1;
             t.want = EINVAL;
         }},
        {"event_desc pointer", [ptr](Try &t, auto &r) { t.reg.event_desc = ptr(r); }},
        {"offsets (output)",
         [](Try &t, auto &r) { t.reg.offsets.rqes = static_cast<std::uint32_t>(r()); }},
        {"area_ptr", [ptr](Try &t, auto &r) { t.area_ptr = ptr(r); }},
        {"area_ptr read-only",
         [&m](Try &t, auto &) { t.area_ptr = reinterpret_cast<std::uintptr_t>(m.ro); }},
        {"region_ptr", [ptr](Try &t, auto &r) { t.region_ptr = ptr(r); }},
        {"region_ptr read-only",
         [&m](Try &t, auto &) { t.region_ptr = reinterpret_cast<std::uintptr_t>(m.ro + 1024); }},
        {"arg", [ptr](Try &t, auto &r) { t.arg_ptr = ptr(r); }},
        {"arg read-only",
         [&m](Try &t, auto &) { t.arg_ptr = reinterpret_cast<std::uintptr_t>(m.ro + 2048); }},
        {"nr_args",
         [](Try &t, auto &r) { t.nr_args = one_in(r, 2) ? 0 : static_cast<unsigned>(r()) | 2; }},
        {"ring flags", [](Try &t, auto &) { t.plain_ring = true; }},
        {"area.addr", [ptr](Try &t, auto &r) { t.area.addr = ptr(r); }},
        {"area.addr read-only",
         [&m](Try &t, auto &) {
             t.area.addr = reinterpret_cast<std::uintptr_t>(m.ro);
             t.area.len = 4096;
         }},
        {"area.len", [len](Try &t, auto &r) { t.area.len = len(r); }},
        {"area.addr+len overflow",
         [](Try &t, auto &r) {
             t.area.addr = UINT64_MAX - pick<std::uint64_t>(r, 0, 15) * 4096 - 4095;
             t.area.len = 1 << 20;
         }},
        {"area.rq_area_token", [](Try &t, auto &r) { t.area.rq_area_token = r() | 1; }},
        {"area.flags", [any32](Try &t, auto &r) { t.area.flags = any32(r); }},
        {"area.dmabuf_fd without the flag",
         [any32](Try &t, auto &r) { t.area.dmabuf_fd = any32(r); }},
        {"area dma-buf of a random descriptor",
         [any32](Try &t, auto &r) {
             t.area.flags = uapi::area_dmabuf;
             t.area.dmabuf_fd = any32(r);
             t.area.addr = one_in(r, 2) ? 0 : r();
         }},
        {"area.__resv2", [](Try &t, auto &r) { t.area.resv2[pick(r, 0, 1)] = r() | 1; }},
        {"region.user_addr", [ptr](Try &t, auto &r) { t.rd.user_addr = ptr(r); }},
        {"region.user_addr read-only",
         [&m](Try &t, auto &) { t.rd.user_addr = reinterpret_cast<std::uintptr_t>(m.ro); }},
        {"region.size",
         [len](Try &t, auto &r) { t.rd.size = one_in(r, 3) ? 4096 * 70000ULL : len(r); }},
        {"region.flags", [any32](Try &t, auto &r) { t.rd.flags = any32(r); }},
        {"region kernel memory",
         [](Try &t, auto &r) {
             t.rd.flags = 0;
             t.rd.user_addr = one_in(r, 2) ? 0 : r();
         }},
        {"region.id", [any32](Try &t, auto &r) { t.rd.id = any32(r); }},
        {"region.mmap_offset", [](Try &t, auto &r) { t.rd.mmap_offset = r() | 1; }},
        {"region.__resv", [](Try &t, auto &r) { t.rd.resv[pick(r, 0, 3)] = r() | 1; }},
    };
    for (Mutation &n : nodev_mutations(nodev))
        all.push_back(std::move(n));
    return all;
}

// IORING_REGISTER_ZCRX_CTRL on a ring whose one ifq is id: a valid flush or
// one thing broken, each answered with the errno the documentation gives.
// event_types: the events the ifq asked for, if known.
void fuzz_ctrl(int fd, std::uint32_t id, std::optional<std::uint32_t> event_types,
               std::mt19937_64 &rng, Tally &tally) {
    for (int i = 0; i < 8; ++i) {
        uapi::zcrx_ctrl c{};
        c.zcrx_id = id;
        c.op = uapi::ctrl_flush_rq;
        unsigned nr_args = 0;
        std::uint64_t arg = reinterpret_cast<std::uintptr_t>(&c);
        const char *kind = "ctrl: flush";
        int want = 0;
        switch (pick(rng, 0, 7)) {
        case 0:
            break;
        case 1:
            c.zcrx_id = id + pick<std::uint32_t>(rng, 1, UINT32_MAX);
            kind = "ctrl: unknown zcrx_id";
            want = ENXIO;
            break;
        case 2:
            c.op = pick<std::uint32_t>(rng, uapi::ctrl_add_area + 1, UINT32_MAX);
            kind = "ctrl: unknown op";
            want = EOPNOTSUPP;
            break;
        case 3:
            c.resv[pick(rng, 0, 1)] = rng() | 1;
            kind = "ctrl: __resv";
            want = EINVAL;
            break;
        case 4:
            c.zc_flush.resv[pick(rng, 0, 5)] = rng() | 1;
            kind = "ctrl: zc_flush.__resv";
            want = EINVAL;
            break;
        case 5:
            nr_args = pick<unsigned>(rng, 1, UINT32_MAX);
            kind = "ctrl: nr_args";
            want = EINVAL;
            break;
        case 6: {
            // only a type the ifq asked for can be armed
            const std::uint32_t type =
                one_in(rng, 2) ? pick<std::uint32_t>(rng, 0, 1) : static_cast<std::uint32_t>(rng());
            if (!event_types)
                continue; // a descriptor the fuzzer did not write
            c.op = uapi::ctrl_arm_event;
            c.zc_arm_event.event_type = type;
            const bool asked = type < 32 && (*event_types >> type & 1);
            kind = asked ? "ctrl: arm an event asked for" : "ctrl: arm an event not asked for";
            want = asked ? 0 : EINVAL;
            break;
        }
        default:
            // NULL or kernel memory: the hole of Memory may be mapped again
            // by now (the rings' own mappings), and would read as zeros
            arg = one_in(rng, 2)
                      ? 0
                      : 0xffff888000000000ULL + pick<std::uint64_t>(rng, 0, 1 << 20) * 4096;
            kind = "ctrl: bad pointer";
            want = EFAULT;
            break;
        }
        const long ret =
            ::syscall(__NR_io_uring_register, fd, uapi::register_zcrx_ctrl, arg, nr_args);
        const int err = ret < 0 ? errno : 0;
        tally.add(kind, errno_string(err), err == want);
    }
}

// ZCRX_CTRL_ADD_AREA on the ring's ifq t registered: valid areas of fresh
// anonymous memory, whose tokens must name ids 1, 2, ... in order, or one
// thing broken, each answered with the errno the documentation gives. A
// device's buffers larger than a page need contiguous memory, which
// anonymous memory is not: ERANGE.
void fuzz_add_area(int fd, const Try &t, std::mt19937_64 &rng, Tally &tally) {
    const std::uint64_t buf = t.reg.rx_buf_len ? t.reg.rx_buf_len : 4096;
    const bool nodev = t.reg.flags & uapi::reg_nodev;
    std::uint64_t next_id = 1;
    for (int i = 0; i < 6; ++i) {
        const std::uint64_t len = buf * pick<std::uint64_t>(rng, 1, 4);
        zcrx::Result<zcrx::Mapping> mem = zcrx::Mapping::anonymous(len, false, "map an area");
        if (!mem)
            throw std::runtime_error(mem.error().message());
        uapi::zcrx_area_reg area{};
        area.addr = reinterpret_cast<std::uintptr_t>(mem->bytes().data());
        area.len = len;
        uapi::zcrx_ctrl c{};
        c.zcrx_id = t.reg.zcrx_id;
        c.op = uapi::ctrl_add_area;
        c.zc_area.area_ptr = reinterpret_cast<std::uintptr_t>(&area);
        const char *kind = "add area";
        int want = buf > 4096 && !nodev ? ERANGE : 0;
        switch (pick(rng, 0, 8)) {
        case 0:
        case 1:
            break;
        case 2:
            area.rq_area_token = (rng() | 1) << 48;
            kind = "add area: rq_area_token";
            want = EINVAL;
            break;
        case 3:
            area.flags = one_in(rng, 2) ? uapi::area_dmabuf : static_cast<std::uint32_t>(rng()) | 2;
            kind = "add area: flags";
            want = EINVAL;
            break;
        case 4:
            area.resv2[pick(rng, 0, 1)] = rng() | 1;
            kind = "add area: __resv2";
            want = EINVAL;
            break;
        case 5:
            area.addr += pick<std::uint64_t>(rng, 1, 4095);
            kind = "add area: unaligned addr";
            want = EINVAL;
            break;
        case 6:
            if (one_in(rng, 2))
                area.addr = 0;
            else
                area.len = 0;
            kind = "add area: no memory";
            want = EFAULT;
            break;
        case 7:
            c.zc_area.resv[pick(rng, 0, 4)] = rng() | 1;
            kind = "add area: zc_area.__resv";
            want = EINVAL;
            break;
        default:
            c.zc_area.area_ptr = one_in(rng, 2) ? 8 : 0xffff888000000000ULL;
            kind = "add area: bad area_ptr";
            want = EFAULT;
            break;
        }
        const std::uint64_t token_in = area.rq_area_token;
        const long ret = ::syscall(__NR_io_uring_register, fd, uapi::register_zcrx_ctrl,
                                   reinterpret_cast<std::uintptr_t>(&c), 0);
        const int err = ret < 0 ? errno : 0;
        bool ok = err == want;
        if (err == 0) {
            ok = ok && area.rq_area_token == next_id << 48;
            ++next_id;
        } else {
            // a refused area gets no token, and uses up no id
            ok = ok && area.rq_area_token == token_in;
        }
        tally.add(kind, errno_string(err), ok);
    }
}

// ZCRX_CTRL_EXPORT of the ring's ifq id (valid or with a field set that
// must not be), then imports of the export into a second ring: valid, or
// with one thing wrong. Every answer is the errno the documentation gives.
// The second ring and the export descriptor are closed before returning.
void fuzz_share(int fd, std::uint32_t id, std::mt19937_64 &rng, Tally &tally) {
    for (int i = 0; i < 2; ++i) {
        uapi::zcrx_ctrl c{};
        c.zcrx_id = id;
        c.op = uapi::ctrl_export;
        if (one_in(rng, 2))
            c.zc_export.zcrx_fd = pick<std::uint32_t>(rng, 1, UINT32_MAX);
        else
            c.zc_export.resv1[pick(rng, 0, 10)] = pick<std::uint32_t>(rng, 1, UINT32_MAX);
        const long ret = ::syscall(__NR_io_uring_register, fd, uapi::register_zcrx_ctrl, &c, 0);
        tally.add("ctrl: export with input set", errno_string(ret < 0 ? errno : 0),
                  ret < 0 && errno == EINVAL);
    }
    uapi::zcrx_ctrl c{};
    c.zcrx_id = id;
    c.op = uapi::ctrl_export;
    const long ret = ::syscall(__NR_io_uring_register, fd, uapi::register_zcrx_ctrl, &c, 0);
    tally.add("ctrl: export", errno_string(ret < 0 ? errno : 0), ret == 0);
    if (ret != 0)
        return;
    zcrx::Fd efd(static_cast<int>(c.zc_export.zcrx_fd));
    zcrx::Result<zcrx::Ring> importer = zcrx::Ring::create();
    if (!importer)
        throw std::runtime_error(importer.error().message());
    for (int i = 0; i < 6; ++i) {
        uapi::zcrx_ifq_reg reg{};
        reg.flags = uapi::reg_import;
        reg.if_idx = static_cast<std::uint32_t>(efd.get());
        const char *kind = "import";
        int want = 0;
        switch (pick(rng, 0, 6)) {
        case 0:
            break;
        case 1:
            reg.if_idx = static_cast<std::uint32_t>(importer->fd()); // not an export
            kind = "import: not an export descriptor";
            want = EBADF;
            break;
        case 2:
            reg.if_idx = pick<std::uint32_t>(rng, 4096, UINT32_MAX); // nothing open there
            kind = "import: no descriptor";
            want = EBADF;
            break;
        case 3:
            reg.if_rxq = pick<std::uint32_t>(rng, 1, UINT32_MAX);
            kind = "import: if_rxq";
            want = EINVAL;
            break;
        case 4:
            reg.rq_entries = pick<std::uint32_t>(rng, 1, UINT32_MAX);
            kind = "import: rq_entries";
            want = EINVAL;
            break;
        case 5:
            (one_in(rng, 2) ? reg.area_ptr : reg.region_ptr) = rng() | 1;
            kind = "import: area or region";
            want = EINVAL;
            break;
        default:
            reg.offsets.rqes = pick<std::uint32_t>(rng, 1, UINT32_MAX);
            kind = "import: offsets (output)";
            want = EINVAL;
            break;
        }
        const long r =
            ::syscall(__NR_io_uring_register, importer->fd(), uapi::register_zcrx_ifq, &reg, 1);
        tally.add(kind, errno_string(r < 0 ? errno : 0), (r < 0 ? errno : 0) == want);
    }
}

// Errnos the documentation names for registration.
bool documented(int err) {
    return one_of(err, {EPERM, EINVAL, EFAULT, ENODEV, ERANGE, EEXIST, EBUSY, EOPNOTSUPP, ENODATA,
                        ENOMEM, EINTR, EBADF});
}

} // namespace

int run_reg(const Settings &s) {
    std::mt19937_64 rng(s.seed);
    Memory mem = map_memory();
    const bool nodev = zcrx::kernel_has_nodev();
    std::printf("reg: the kernel's query %s ZCRX_REG_NODEV\n", nodev ? "reports" : "lacks");
    const std::vector<Mutation> muts = mutations(mem, nodev);
    // the read-only page holds valid structs: readable, not writable
    std::memset(mem.ro, 0, 4096);
    if (::mprotect(mem.ro, 4 * 4096, PROT_READ) < 0)
        throw std::runtime_error("mprotect: " + errno_string(errno));

    std::optional<zcrx::Ring> ring;
    io_uring plain{};
    if (const int ret = io_uring_queue_init(8, &plain, 0); ret < 0)
        throw std::runtime_error("create a plain io_uring: " + errno_string(-ret));
    Tally tally;
    std::uint64_t successes = 0;
    Budget budget(s);
    std::uint64_t n = 0;
    for (; budget.more(n); ++n) {
        if (!ring) {
            zcrx::Result<zcrx::Ring> r = zcrx::Ring::create();
            if (!r)
                throw std::runtime_error(r.error().message());
            ring.emplace(std::move(r).value());
        }
        Try t;
        t.reg.if_idx = s.if_index;
        t.reg.if_rxq = s.queue;
        t.reg.rq_entries = 64;
        t.area.addr = reinterpret_cast<std::uintptr_t>(mem.area.bytes().data());
        t.area.len = area_len;
        t.rd.user_addr = reinterpret_cast<std::uintptr_t>(mem.region.bytes().data());
        t.rd.size = 4096 * 2;
        t.rd.flags = uapi::mem_region_type_user;
        for (std::uint64_t k = pick<std::uint64_t>(rng, 1, 3); k > 0; --k) {
            const Mutation &m = muts[pick<std::size_t>(rng, 0, muts.size() - 1)];
            m.second(t, rng);
            t.what += t.what.empty() ? m.first : std::string("+") + m.first;
        }
        // one kind per first mutation keeps the table readable
        const std::string kind = t.what.substr(0, t.what.find('+'));
        // read-only copies are written through a writable alias first
        if (t.area_ptr || t.region_ptr || t.arg_ptr) {
            ::mprotect(mem.ro, 4 * 4096, PROT_READ | PROT_WRITE);
            std::memcpy(mem.ro, &t.area, sizeof(t.area));
            std::memcpy(mem.ro + 1024, &t.rd, sizeof(t.rd));
            uapi::zcrx_ifq_reg r = t.reg;
            r.area_ptr = t.area_ptr.value_or(reinterpret_cast<std::uintptr_t>(&t.area));
            r.region_ptr = t.region_ptr.value_or(reinterpret_cast<std::uintptr_t>(&t.rd));
            std::memcpy(mem.ro + 2048, &r, sizeof(r));
            ::mprotect(mem.ro, 4 * 4096, PROT_READ);
        }
        t.reg.area_ptr = t.area_ptr.value_or(reinterpret_cast<std::uintptr_t>(&t.area));
        t.reg.region_ptr = t.region_ptr.value_or(reinterpret_cast<std::uintptr_t>(&t.rd));
        const std::uint64_t arg = t.arg_ptr.value_or(reinterpret_cast<std::uintptr_t>(&t.reg));
        const int fd = t.plain_ring ? plain.ring_fd : ring->fd();
        const long ret =
            ::syscall(__NR_io_uring_register, fd, uapi::register_zcrx_ifq, arg, t.nr_args);
        const int err = ret < 0 ? errno : 0;
        // undocumented, but what the code (and upstream) returns for an area
        // whose end does not fit in 64 bits
        std::uint64_t end = 0;
        const bool overflows = __builtin_add_overflow(t.area.addr, t.area.len, &end);
        const bool alone = t.what.find('+') == std::string::npos;
        tally.add(kind, errno_string(err),
                  alone && t.want ? err == *t.want
                                  : err == 0 || documented(err) || (err == EOVERFLOW && overflows));
        if (err == EEXIST)
            std::printf("reg: try %llu (%s): EEXIST\n", static_cast<unsigned long long>(n),
                        t.what.c_str());
        if (err == 0 && !t.plain_ring) {
            ++successes;
            std::optional<std::uint32_t> events;
            if (t.reg.event_desc == 0)
                events = 0;
            else if (t.reg.event_desc == reinterpret_cast<std::uintptr_t>(&t.ev))
                events = t.ev.type_mask;
            fuzz_ctrl(fd, t.reg.zcrx_id, events, rng, tally);
            if (!(t.area.flags & uapi::area_dmabuf))
                fuzz_add_area(fd, t, rng, tally);
            fuzz_share(fd, t.reg.zcrx_id, rng, tally);
            // the same queue again in the same ring, outputs cleared: a ring
            // may hold several ifqs, but a queue takes one provider; a
            // device-less ifq holds no queue
            t.reg.offsets = {};
            t.reg.zcrx_id = 0;
            t.area.rq_area_token = 0;
            t.rd.mmap_offset = 0;
            const long again = ::syscall(__NR_io_uring_register, fd, uapi::register_zcrx_ifq,
                                         reinterpret_cast<std::uintptr_t>(&t.reg), 1);
            const int again_err = again < 0 ? errno : 0;
            if (t.reg.flags & uapi::reg_nodev)
                tally.add("device-less again in the ring", errno_string(again_err), again_err == 0);
            else
                tally.add("same queue again in the ring", errno_string(again_err),
                          again_err == EEXIST);
            ring.reset(); // the only way to unregister
        }
    }
    io_uring_queue_exit(&plain);
    ring.reset();
    std::printf("reg: seed %llu, %llu registrations tried, %llu succeeded\n",
                static_cast<unsigned long long>(s.seed), static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(successes));
    const std::uint64_t bad = tally.print("reg");
    return bad == 0 && n > 0 ? 0 : 1;
}

} // namespace fuzz
