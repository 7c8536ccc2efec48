#include "zcrx/ifq.hpp"

#include <fcntl.h>
#include <linux/udmabuf.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "zcrx/area.hpp"
#include "zcrx/query.hpp"

namespace zcrx {

namespace {

std::uint64_t page_size() noexcept {
    const long sz = ::sysconf(_SC_PAGESIZE);
    return sz > 0 ? static_cast<std::uint64_t>(sz) : 4096;
}

std::string queue_name(const IfqConfig &c) {
    if (c.no_device)
        return "the device-less ifq";
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

// What a kernel without a control operation answers, and why.
std::optional<std::string> ctrl_hint(int err) {
    if (err == EINVAL)
        return "the kernel lacks IORING_REGISTER_ZCRX_CTRL: it needs Linux 6.19 or later, or the "
               "zcrx patch series";
    if (err == EOPNOTSUPP)
        return "the kernel lacks this zcrx control operation: it needs Linux 6.19 or later, or "
               "the zcrx patch series";
    return std::nullopt;
}

// The registration step, for messages.
std::string register_what(const IfqConfig &c, const std::string &qname) {
    return c.no_device ? "register a device-less zcrx ifq (ZCRX_REG_NODEV)"
                       : "register zcrx ifq on " + qname;
}

// What the kernel said to a registration, as an Error: the step, and what
// to do, where the errno means something particular to the config.
Error registration_error(int err, const IfqConfig &c, const std::string &qname) {
    if (err == EINVAL && (c.event_types != 0 || c.stats) && !kernel_has_events())
        return Error(err, register_what(c, qname) + " with events or statistics",
                     "the kernel's query does not report ZCRX_FEATURE_EVENT",
                     "zcrx events and copy statistics need Linux 7.2 or the zcrx series' events "
                     "patch: register without them (no event_types, no stats)");
    if (c.no_device) {
        const std::string what = register_what(c, qname);
        if (err == EINVAL && !kernel_has_nodev())
            return Error(err, what, "the kernel's query does not report ZCRX_REG_NODEV",
                         "device-less zero-copy receive needs Linux 7.1 or the zcrx series' "
                         "NODEV patch");
        if (err == EINVAL)
            return Error(err, what, {},
                         "create the ring with IORING_SETUP_DEFER_TASKRUN | "
                         "IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32, and use a valid "
                         "rq_entries, an area of user memory and a valid rx_buf_len");
        return Error(err, what);
    }
    if (c.rx_buf_len != 0 && (err == ERANGE || err == EOPNOTSUPP))
        return Error(err,
                     "register zcrx ifq on " + qname + " with " + std::to_string(c.rx_buf_len) +
                         "-byte buffers",
                     {},
                     "back the area with huge pages (--huge-pages) so that each buffer is "
                     "contiguous, and stay within what the NIC posts (netdevsim: 64 KiB; "
                     "EOPNOTSUPP: pages only)");
    if (err == ERANGE)
        return Error(err, register_what(c, qname), {},
                     "the device has no such RX queue, or its driver cannot restart that queue "
                     "alone (gve: queue 0 while the device is up): use another queue");
    return Error(err, register_what(c, qname));
}

// A dma-buf of len bytes for an area: a udmabuf over a sealed memfd, and the
// memfd's shared mapping through which the CPU reads what lands in it.
struct Udmabuf {
    Fd dmabuf;
    Mapping view;
};

Result<Udmabuf> make_udmabuf(std::size_t len, const std::string &qname) {
    const std::string what = "create a udmabuf area for " + qname;
    Fd memfd(::memfd_create("zcrx-area", MFD_ALLOW_SEALING | MFD_CLOEXEC));
    if (!memfd || ::ftruncate(memfd.get(), static_cast<off_t>(len)) < 0 ||
        ::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK) < 0)
        return Error(errno, what, "memfd", "");
    Fd dev(::open("/dev/udmabuf", O_RDWR | O_CLOEXEC));
    if (!dev)
        return Error(errno, what, "open /dev/udmabuf",
                     errno == ENOENT ? "the kernel needs CONFIG_UDMABUF (modprobe udmabuf)" : "");
    udmabuf_create c{};
    c.memfd = static_cast<std::uint32_t>(memfd.get());
    c.flags = UDMABUF_FLAGS_CLOEXEC;
    c.size = len;
    Udmabuf u;
    u.dmabuf.reset(::ioctl(dev.get(), UDMABUF_CREATE, &c));
    if (!u.dmabuf)
        return Error(errno, what, "UDMABUF_CREATE",
                     "udmabuf limits its size (udmabuf.size_limit_mb, 64 MiB by default)");
    Result<Mapping> view = Mapping::shared(memfd.get(), 0, len, what);
    if (!view)
        return std::move(view).error();
    u.view = std::move(view).value();
    return u;
}

// What the kernel said to ZCRX_CTRL_ADD_AREA of an area of len bytes, as
// an Error with what to do.
Error add_area_error(int err, std::uint32_t id, std::uint64_t len, bool huge, std::size_t areas) {
    const std::string what = "add a " + std::to_string(len) + "-byte area to zcrx ifq " +
                             std::to_string(id) + " (ZCRX_CTRL_ADD_AREA)";
    switch (err) {
    case EINVAL:
    case EOPNOTSUPP:
        if (!kernel_has_add_area())
            return Error(err, what, "the kernel's query counts no ZCRX_CTRL_ADD_AREA",
                         "areas added at run time need Linux 7.3 or the zcrx series' ADD_AREA "
                         "patch: register a larger area instead");
        if (areas >= max_areas)
            return Error(err, what, "the ifq has " + std::to_string(areas) + " areas",
                         "an ifq has at most " + std::to_string(max_areas) + " areas");
        return Error(err, what, {},
                     "the area must be a multiple of the buffer size (rx_buf_len), of the "
                     "first area's kind, with the ifq's ring still open");
    case ERANGE:
        return Error(err, what, {},
                     huge ? "buffers larger than a page need physically contiguous memory: "
                            "use huge pages of at least the buffer size"
                          : "buffers larger than a page need physically contiguous memory: "
                            "back the area with huge pages");
    case ENOMEM:
        return Error(err, what, {},
                     "the area is pinned and charged to RLIMIT_MEMLOCK: raise it (ulimit -l) "
                     "or add a smaller area");
    case ENXIO:
        return Error(err, what, "no such zcrx ifq on the ring",
                     "the ring the ifq was registered on must still hold it");
    default:
        return Error(err, what);
    }
}

} // namespace

std::optional<CopyStats> read_copy_stats(std::span<std::byte> region,
                                         std::uint64_t offset) noexcept {
    if (offset % alignof(std::uint64_t) != 0 || offset > region.size() ||
        region.size() - offset < sizeof(uapi::zcrx_stats))
        return std::nullopt;
    std::byte *at = region.data() + offset;
    if (reinterpret_cast<std::uintptr_t>(at) % std::atomic_ref<std::uint64_t>::required_alignment)
        return std::nullopt;
    auto *counts = reinterpret_cast<std::uint64_t *>(at);
    CopyStats st;
    // The kernel writes each count with one store as it copies.
    st.copy_count = std::atomic_ref<std::uint64_t>(counts[0]).load(std::memory_order_relaxed);
    st.copy_bytes = std::atomic_ref<std::uint64_t>(counts[1]).load(std::memory_order_relaxed);
    return st;
}

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

Result<std::uint32_t> import_ifq(Ring &ring, int export_fd) {
    const std::string what = "import the zcrx ifq of descriptor " + std::to_string(export_fd);
    if (export_fd < 0)
        return Error(EBADF, what, {}, "pass a descriptor Ifq::export_handle() returned");
    if (!(ring.flags() & uapi::setup_defer_taskrun) || !(ring.flags() & uapi::setup_cqe32))
        return Error(EINVAL, what, "the ring lacks required flags",
                     "create the ring with IORING_SETUP_DEFER_TASKRUN | "
                     "IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32 (zcrx::Ring does)");
    uapi::zcrx_ifq_reg reg{};
    reg.flags = uapi::reg_import;
    reg.if_idx = static_cast<std::uint32_t>(export_fd);
    if (const int err = register_ifq(ring.fd(), reg); err != 0) {
        if (err == EBADF)
            return Error(err, what, "not an export descriptor",
                         "pass a descriptor Ifq::export_handle() returned");
        if (err == EINVAL)
            return Error(err, what, {},
                         "the kernel may lack ZCRX_REG_IMPORT: it needs Linux 6.19 or later, or "
                         "the zcrx patch series");
        return Error(err, what);
    }
    return reg.zcrx_id;
}

Result<void> check_config(const IfqConfig &config) {
    const std::uint64_t page = page_size();
    const std::string qname = queue_name(config);

    if (config.no_device) {
        const std::string what = "set up a device-less zcrx ifq (ZCRX_REG_NODEV)";
        if (config.if_index != 0 || config.rx_queue != 0 || !config.if_name.empty()) {
            const std::string dev = config.if_name.empty()
                                        ? "ifindex " + std::to_string(config.if_index)
                                        : config.if_name;
            return Error(EINVAL, what,
                         "it names a device: " + dev + " queue " + std::to_string(config.rx_queue),
                         "a device-less ifq has no NIC or queue: leave if_index, rx_queue and "
                         "if_name unset, or register on the device without no_device");
        }
        if (config.area == AreaKind::udmabuf)
            return Error(EINVAL, what, "a dma-buf area",
                         "the kernel copies every byte of a device-less ifq, and cannot copy "
                         "into a dma-buf: use an area of anonymous memory");
    }
    if (rq_entries_for(config.rq_entries) == 0)
        return Error(EINVAL, "size the refill ring of " + qname,
                     std::to_string(config.rq_entries) + " entries",
                     "use 1 to " + std::to_string(max_rq_entries) + " refill entries");
    const std::uint64_t area_len = (config.area_size + page - 1) & ~(page - 1);
    if (area_len == 0 || area_len > max_area_len)
        return Error(EINVAL, "size the area of " + qname,
                     std::to_string(config.area_size) + " bytes",
                     "use an area of one page up to 2^48 bytes");
    if (config.rx_buf_len != 0 && (!is_power_of_two(config.rx_buf_len) ||
                                   config.rx_buf_len < page || area_len % config.rx_buf_len != 0))
        return Error(EINVAL, "size the buffers of " + qname,
                     std::to_string(config.rx_buf_len) + " bytes",
                     "use a power of two of at least a page that divides the area size");
    if (config.area == AreaKind::udmabuf && config.huge_pages)
        return Error(EINVAL, "set up the area of " + qname, "huge pages and a udmabuf",
                     "a udmabuf area is a memfd's: drop --huge-pages");
    if ((config.event_types & ~known_event_types) != 0)
        return Error(EINVAL, "ask for zcrx events of " + qname,
                     "unknown event types in mask " + std::to_string(config.event_types),
                     "use event_bit(uapi::event_alloc_fail) and event_bit(uapi::event_copy)");
    return {};
}

Result<std::unique_ptr<Ifq>> Ifq::create(Ring &ring, const IfqConfig &config) {
    if (Result<void> checked = check_config(config); !checked)
        return std::move(checked).error();
    const std::uint64_t page = page_size();
    const std::string qname = queue_name(config);
    const std::uint32_t entries = rq_entries_for(config.rq_entries);
    const std::uint64_t area_len = (config.area_size + page - 1) & ~(page - 1);
    if (!(ring.flags() & uapi::setup_defer_taskrun) || !(ring.flags() & uapi::setup_cqe32))
        return Error(EINVAL, register_what(config, qname), "the ring lacks required flags",
                     "create the ring with IORING_SETUP_DEFER_TASKRUN | "
                     "IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32 (zcrx::Ring does)");

    std::unique_ptr<Ifq> ifq(new (std::nothrow) Ifq);
    if (!ifq)
        return Error(ENOMEM, "allocate " + qname, {}, "");
    ifq->region_kind_ = config.region;
    ifq->area_kind_ = config.area;
    Fd dmabuf; // the kernel takes its own reference at registration
    Mapping area_mem;
    if (config.area == AreaKind::udmabuf) {
        Result<Udmabuf> u = make_udmabuf(static_cast<std::size_t>(area_len), qname);
        if (!u)
            return std::move(u).error();
        dmabuf = std::move(u.value().dmabuf);
        area_mem = std::move(u.value().view);
    } else {
        Result<Mapping> area = Mapping::anonymous(static_cast<std::size_t>(area_len),
                                                  config.huge_pages, "map the area for " + qname);
        if (!area)
            return std::move(area).error();
        area_mem = std::move(area).value();
    }
    Mapping region_mem;

    const bool events = config.event_types != 0 || config.stats;
    uapi::region_desc rd{};
    rd.size = config.stats ? region_size_with_stats(entries, page) : region_size(entries, page);
    if (config.region == RegionKind::user) {
        Result<Mapping> region = Mapping::anonymous(static_cast<std::size_t>(rd.size), false,
                                                    "map the refill ring for " + qname);
        if (!region)
            return std::move(region).error();
        region_mem = std::move(region).value();
        rd.user_addr = reinterpret_cast<std::uintptr_t>(region_mem.bytes().data());
        rd.flags = uapi::mem_region_type_user;
    }

    uapi::zcrx_area_reg area_reg{};
    area_reg.addr = reinterpret_cast<std::uintptr_t>(area_mem.bytes().data());
    area_reg.len = area_len;
    if (dmabuf) {
        area_reg.flags = uapi::area_dmabuf;
        area_reg.dmabuf_fd = static_cast<std::uint32_t>(dmabuf.get());
        area_reg.addr = 0; // the offset into the dma-buf
    }

    uapi::zcrx_ifq_reg reg{};
    reg.if_idx = config.if_index;
    reg.if_rxq = config.rx_queue;
    reg.flags = config.no_device ? uapi::reg_nodev : 0;
    reg.rq_entries = entries;
    reg.area_ptr = reinterpret_cast<std::uintptr_t>(&area_reg);
    reg.region_ptr = reinterpret_cast<std::uintptr_t>(&rd);
    reg.rx_buf_len = config.rx_buf_len;

    uapi::zcrx_event_desc ev{};
    if (events) {
        ev.user_data = config.event_user_data;
        ev.type_mask = config.event_types;
        if (config.stats) {
            ev.flags = uapi::event_desc_flag_stats;
            ev.stats_offset = stats_offset_for(entries);
        }
        reg.event_desc = reinterpret_cast<std::uintptr_t>(&ev);
    }

    if (const int err = register_ifq(ring.fd(), reg); err != 0)
        return registration_error(err, config, qname);
    // From here on the ifq exists until the ring is closed, even if we fail.

    if (config.region == RegionKind::kernel) {
        Result<Mapping> region =
            Mapping::shared(ring.fd(), rd.mmap_offset, static_cast<std::size_t>(rd.size),
                            "map the kernel's refill ring for " + qname);
        if (!region)
            return std::move(region).error();
        region_mem = std::move(region).value();
    }

    Result<RefillRing> rq = refill_ring_in(region_mem.bytes(), reg.offsets, reg.rq_entries);
    if (!rq)
        return std::move(rq).error();
    ifq->rq_entries_ = reg.rq_entries;
    ifq->offsets_ = reg.offsets;
    ifq->area_token_ = area_reg.rq_area_token;
    ifq->id_ = reg.zcrx_id;
    ifq->ring_fd_ = ring.fd();
    ifq->rx_buf_len_ = config.rx_buf_len;
    ifq->event_types_ = config.event_types;
    ifq->event_user_data_ = events ? config.event_user_data : 0;
    ifq->stats_offset_ = config.stats ? ev.stats_offset : 0;
    ifq->area_ = area_mem.bytes();
    ifq->region_ = region_mem.bytes();

    try {
        ifq->refill_ =
            RefillQueue::create(std::move(rq).value(), ifq->area_, area_reg.rq_area_token,
                                config.refill_batch, static_cast<std::size_t>(area_len / page));
        ifq->refill_->keep(std::move(region_mem));
        ifq->refill_->keep(std::move(area_mem));
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
                         ctrl_hint(err));
    } while (refill_->unpublished() != 0);
    return {};
}

Result<Ifq::AddedArea> Ifq::add_area(std::uint64_t size, bool huge_pages) {
    const std::uint64_t page = page_size();
    const std::uint64_t len = (size + page - 1) & ~(page - 1);
    const std::string qname = "zcrx ifq " + std::to_string(id_);
    const std::string what = "add a " + std::to_string(size) + "-byte area to " + qname;
    const std::uint64_t buf = rx_buf_len_ != 0 ? rx_buf_len_ : page;
    if (len == 0 || len > max_area_len)
        return Error(EINVAL, what, {}, "use an area of one page up to 2^48 bytes");
    if (len % buf != 0)
        return Error(EINVAL, what, "not a multiple of the " + std::to_string(buf) + "-byte buffers",
                     "every area of an ifq is cut into buffers of one size: use a multiple of it");
    if (area_kind_ == AreaKind::udmabuf && huge_pages)
        return Error(EINVAL, what, "huge pages and a udmabuf",
                     "the ifq's areas are udmabufs, a memfd's memory: do without huge pages");
    if (area_count() >= max_areas)
        return Error(EINVAL, what, "the ifq has " + std::to_string(area_count()) + " areas",
                     "an ifq has at most " + std::to_string(max_areas) + " areas");

    Fd dmabuf; // the kernel takes its own reference
    Mapping mem;
    if (area_kind_ == AreaKind::udmabuf) {
        Result<Udmabuf> u = make_udmabuf(static_cast<std::size_t>(len), qname);
        if (!u)
            return std::move(u).error();
        dmabuf = std::move(u.value().dmabuf);
        mem = std::move(u.value().view);
    } else {
        Result<Mapping> m = Mapping::anonymous(static_cast<std::size_t>(len), huge_pages,
                                               "map an added area for " + qname);
        if (!m)
            return std::move(m).error();
        mem = std::move(m).value();
    }
    // Room for what the kernel's answer needs, before asking: once it has
    // added the area, its buffers arrive and must resolve. Any id the
    // kernel may give (another ring holding the ifq may have added areas
    // meanwhile) fits.
    try {
        refill_->reserve(max_areas, static_cast<std::size_t>(len / buf));
    } catch (const std::bad_alloc &) {
        return Error(ENOMEM, what, "no memory for the area table", "");
    }

    uapi::zcrx_area_reg area_reg{};
    area_reg.addr = reinterpret_cast<std::uintptr_t>(mem.bytes().data());
    area_reg.len = len;
    if (dmabuf) {
        area_reg.flags = uapi::area_dmabuf;
        area_reg.dmabuf_fd = static_cast<std::uint32_t>(dmabuf.get());
        area_reg.addr = 0;
    }
    uapi::zcrx_ctrl ctrl{};
    ctrl.zcrx_id = id_;
    ctrl.op = uapi::ctrl_add_area;
    ctrl.zc_area.area_ptr = reinterpret_cast<std::uintptr_t>(&area_reg);
    if (const int err = zcrx_ctrl(ring_fd_, ctrl); err != 0)
        return add_area_error(err, id_, len, huge_pages, area_count());

    AddedArea added;
    added.token = area_reg.rq_area_token;
    added.id = decode_off(added.token).area_id;
    added.bytes = len;
    // The ids the kernel hands out are new and below max_areas, for which
    // room was made: only a kernel breaking that makes this fail, and then
    // the area stays mapped (the kernel has it) until the ifq is gone.
    if (!refill_->add_area(std::move(mem), added.token)) {
        refill_->keep(std::move(mem)); // reserved: does not throw
        return Error(EBADMSG, what,
                     "the kernel returned area id " + std::to_string(added.id) +
                         ", which is taken or out of range",
                     "the kernel and this library disagree on area ids");
    }
    return added;
}

Result<void> Ifq::arm_event(std::uint32_t type) {
    const std::string what =
        "arm zcrx event " + std::to_string(type) + " of ifq " + std::to_string(id_);
    if ((event_types_ & event_bit(type)) == 0)
        return Error(EINVAL, what, "not asked for at registration",
                     "arm only the types of IfqConfig::event_types");
    uapi::zcrx_ctrl ctrl{};
    ctrl.zcrx_id = id_;
    ctrl.op = uapi::ctrl_arm_event;
    ctrl.zc_arm_event.event_type = type;
    if (const int err = zcrx_ctrl(ring_fd_, ctrl); err != 0) {
        if ((err == EINVAL || err == EOPNOTSUPP) && !kernel_has_events())
            return Error(err, what, "the kernel's query does not report ZCRX_FEATURE_EVENT",
                         "zcrx events need Linux 7.2 or the zcrx series' events patch");
        if (err == EINVAL)
            return Error(err, what, {},
                         "only the ring that registered the ifq arms its events, while it is "
                         "open");
        return Error(err, what, {}, ctrl_hint(err));
    }
    return {};
}

Result<Fd> Ifq::export_handle() const {
    uapi::zcrx_ctrl ctrl{};
    ctrl.zcrx_id = id_;
    ctrl.op = uapi::ctrl_export;
    if (const int err = zcrx_ctrl(ring_fd_, ctrl); err != 0)
        return Error(err, "export zcrx ifq " + std::to_string(id_), {}, ctrl_hint(err));
    return Fd(static_cast<int>(ctrl.zc_export.zcrx_fd));
}

Result<std::uint32_t> Ifq::share_with(Ring &ring) const {
    try {
        ring.shared_.reserve(ring.shared_.size() + 1);
    } catch (const std::bad_alloc &) {
        return Error(ENOMEM, "share zcrx ifq " + std::to_string(id_), {}, "");
    }
    Result<Fd> fd = export_handle();
    if (!fd)
        return std::move(fd).error();
    // the import holds the ifq from here on: the descriptor can go
    Result<std::uint32_t> id = import_ifq(ring, fd.value().get());
    if (id)
        ring.shared_.emplace_back(*refill_); // reserved: does not throw
    return id;
}

} // namespace zcrx
