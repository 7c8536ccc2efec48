// A zcrx interface queue: one NIC RX queue filled from the application's
// memory area, plus the refill ring through which buffers go back. A
// device-less one (IfqConfig::no_device) has no NIC queue: the kernel copies
// what any TCP socket receives into the area, through the same completions
// and refill ring.
//
// Lifetime: the kernel has no unregister operation: an interface queue
// lives until its io_uring is closed. So the Ring owns its Ifqs
// (Ring::register_ifq() returns a reference) and they die with it. The
// memory a received buffer lies in stays mapped while a BufferHandle or a
// Receive of the Ifq is left, even past the Ring (see zcrx/buffer.hpp).
//
// Areas: an Ifq starts with one area (IfqConfig::area_size) and may be given
// more while it lives (add_area(), ZCRX_CTRL_ADD_AREA, Linux 7.3), up to
// max_areas, each with buffers of the same size and of the same kind. The
// refill queue keeps every area mapped; completions name their area by its
// id, and refill() resolves them. area() stays the first area.
//
// Events and statistics (Linux 7.2): IfqConfig::event_types asks the kernel
// to post a CQE on the ring when buffers run out or data is copied (see
// zcrx/event.hpp, arm_event()); IfqConfig::stats has it count copies in the
// refill region (stats()).
//
// Sharing: export_handle() gives a file descriptor that holds the kernel's
// ifq; import_ifq() registers it on another ring (or the same one), which
// then receives through the same queue, area and refill ring under an id
// of its own. The kernel keeps the queue while any ring that registered or
// imported it, or any export descriptor, is open. In one process,
// share_with() imports it on another ring, which then also publishes the
// queue's returns before it waits; receive on it through the exporting
// Ifq's refill(): Receive(ifq.refill(), imported_id, ...). The refill queue
// is not thread-safe: rings driven from several threads must serialise
// their returns and their waits, since a wait on either ring publishes
// into the queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "zcrx/buffer.hpp"
#include "zcrx/event.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/mapping.hpp"
#include "zcrx/refill_ring.hpp"
#include "zcrx/result.hpp"
#include "zcrx/ring.hpp"
#include "zcrx/uapi.hpp"

namespace zcrx {

// Most refill-ring entries the kernel accepts.
inline constexpr std::uint32_t max_rq_entries = 32768;
// Bytes the ring header (head and tail) may take before the entries: the
// kernel puts them at ALIGN(8, L1_CACHE_BYTES), 64 on x86-64 and arm64.
inline constexpr std::uint64_t refill_header_bytes = 64;

// The entry count the kernel will use for a request of n: n rounded up to a
// power of two. 0 if n is 0 or above max_rq_entries (the kernel's EINVAL).
[[nodiscard]] constexpr std::uint32_t rq_entries_for(std::uint32_t n) noexcept {
    if (n == 0 || n > max_rq_entries)
        return 0;
    std::uint32_t v = 1;
    while (v < n)
        v <<= 1;
    return v;
}

// Bytes of region a refill ring of entries needs: header plus entries,
// rounded up to whole pages (page must be a power of two).
[[nodiscard]] constexpr std::uint64_t region_size(std::uint32_t entries,
                                                  std::uint64_t page) noexcept {
    const std::uint64_t bytes =
        refill_header_bytes + std::uint64_t{entries} * sizeof(uapi::zcrx_rqe);
    return (bytes + page - 1) & ~(page - 1);
}

// Where a refill region of entries keeps the kernel's zcrx_stats
// (zcrx_event_desc::stats_offset): right past the header and the entries,
// 8-byte aligned as the kernel requires.
[[nodiscard]] constexpr std::uint64_t stats_offset_for(std::uint32_t entries) noexcept {
    const std::uint64_t end = refill_header_bytes + std::uint64_t{entries} * sizeof(uapi::zcrx_rqe);
    return (end + 7) & ~std::uint64_t{7};
}

// Bytes of region a refill ring of entries needs with the statistics
// behind it: region_size(), grown by whole pages where they do not fit.
[[nodiscard]] constexpr std::uint64_t region_size_with_stats(std::uint32_t entries,
                                                             std::uint64_t page) noexcept {
    const std::uint64_t bytes = stats_offset_for(entries) + sizeof(uapi::zcrx_stats);
    return (bytes + page - 1) & ~(page - 1);
}

// What the kernel counted of its copies (struct zcrx_stats): completions of
// copied data and their bytes. Each count is read on its own: the two may
// be a copy apart.
struct CopyStats {
    std::uint64_t copy_count = 0;
    std::uint64_t copy_bytes = 0;
};

// The zcrx_stats at offset of region, read with 64-bit atomic loads (the
// kernel writes them as it copies). nullopt unless they lie inside the
// region, 8-byte aligned.
[[nodiscard]] std::optional<CopyStats> read_copy_stats(std::span<std::byte> region,
                                                       std::uint64_t offset) noexcept;

// The most areas one ifq has, its first included (the kernel's limit).
inline constexpr std::size_t max_areas = 1024;

// Buffers an area of area_size bytes is cut into: one per page, the area
// rounded up to whole pages as registration does (page a power of two).
[[nodiscard]] constexpr std::uint64_t area_buffers(std::uint64_t area_size,
                                                   std::uint64_t page) noexcept {
    return area_size / page + (area_size % page != 0 ? 1 : 0);
}

// A refill-ring view over region at the offsets registration reported.
// EINVAL if they do not fit the region or are misaligned, or if entries is
// not a power of two.
[[nodiscard]] Result<RefillRing> refill_ring_in(std::span<std::byte> region,
                                                const uapi::zcrx_offsets &offsets,
                                                std::uint32_t entries);

enum class AreaKind {
    anonymous, // private anonymous memory, pinned by the kernel
    // a dma-buf area (IORING_ZCRX_AREA_DMABUF): a udmabuf over a sealed
    // memfd, which the library maps for reading; nothing is pinned or
    // charged. The kernel cannot copy into it: flows not steered to the
    // queue end their receive with EFAULT.
    udmabuf,
};

enum class RegionKind {
    user,   // the refill ring lives in memory we map (IORING_MEM_REGION_TYPE_USER)
    kernel, // the kernel allocates it; we map the ring fd at the offset it returns
};

struct IfqConfig {
    std::uint32_t if_index = 0;
    std::uint32_t rx_queue = 0;
    std::string if_name; // for messages; empty: "ifindex N"
    // A device-less ifq (ZCRX_REG_NODEV, Linux 7.1; see device_less()): no
    // NIC and no queue, so if_index, rx_queue and if_name stay unset and the
    // area is anonymous memory. RECV_ZC then takes any TCP socket (loopback,
    // veth) and the kernel copies every byte into the area's buffers.
    bool no_device = false;
    // Rounded up to a power of two (by the kernel too); at most max_rq_entries.
    std::uint32_t rq_entries = 4096;
    // Rounded up to whole pages; at most max_area_len.
    std::uint64_t area_size = std::uint64_t{32} << 20;
    bool huge_pages = false; // back the area with MAP_HUGETLB pages (anonymous only)
    // Bytes per receive buffer (rx_buf_len): 0 for a page, else a power of
    // two the area size is a multiple of, each buffer physically contiguous
    // (huge pages), at most what the NIC posts. Device-less: any such power
    // of two, no contiguity needed.
    std::uint32_t rx_buf_len = 0;
    AreaKind area = AreaKind::anonymous;
    RegionKind region = RegionKind::user;
    std::uint32_t refill_batch = 32; // refill entries per tail publication
    // Events (Linux 7.2, ZCRX_FEATURE_EVENT; see zcrx/event.hpp): a mask of
    // event_bit(uapi::event_*) to be told about by a CQE on the ring with
    // event_user_data. 0: none.
    std::uint32_t event_types = 0;
    std::uint64_t event_user_data = default_event_user_data;
    // Have the kernel count its copies (bytes and completions) in the
    // refill region, for stats(). Also Linux 7.2.
    bool stats = false;

    // The defaults, device-less (no_device set).
    [[nodiscard]] static IfqConfig device_less() {
        IfqConfig c;
        c.no_device = true;
        return c;
    }
};

// What Ring::register_ifq() checks before it maps or registers anything: the
// refill-ring and area sizes, rx_buf_len, that a device-less config names
// no interface or queue and has no dma-buf area, and that event_types has
// only known types. EINVAL with what to change otherwise.
[[nodiscard]] Result<void> check_config(const IfqConfig &config);

// The interface index of an interface name in this network namespace
// (ENODEV with advice if there is none).
[[nodiscard]] Result<std::uint32_t> interface_index(const std::string &name);

// Registers on ring the ifq an export descriptor holds (ZCRX_REG_IMPORT)
// and returns its id there, for RECV_ZC's zcrx_ifq_idx. The descriptor may
// be closed afterwards. EBADF if export_fd is not an export descriptor.
// For a descriptor from another process; in one process, Ifq::share_with()
// also has ring publish the queue's returns before it waits.
[[nodiscard]] Result<std::uint32_t> import_ifq(Ring &ring, int export_fd);

class Ifq {
public:
    // Made by Ring::register_ifq(), owned by the ring: neither copied nor
    // moved.
    Ifq(const Ifq &) = delete;
    Ifq &operator=(const Ifq &) = delete;
    ~Ifq() = default;
    // What RECV_ZC's zcrx_ifq_idx names: the ifq's index in its ring, which
    // is the zcrx_id registration returned (a ring may hold several ifqs).
    [[nodiscard]] std::uint32_t index() const noexcept { return id_; }
    // zcrx_id the kernel returned.
    [[nodiscard]] std::uint32_t id() const noexcept { return id_; }
    [[nodiscard]] std::uint32_t rq_entries() const noexcept { return rq_entries_; }
    // The first area and its token.
    [[nodiscard]] std::uint64_t area_token() const noexcept { return area_token_; }
    [[nodiscard]] std::span<const std::byte> area() const noexcept { return area_; }
    // Areas in all (1 + those add_area() added) and their bytes.
    [[nodiscard]] std::size_t area_count() const noexcept { return refill_->areas().size(); }
    [[nodiscard]] std::uint64_t area_bytes() const noexcept { return refill_->areas().bytes(); }
    // The area with an id (0 the first; empty if there is none).
    [[nodiscard]] std::span<const std::byte> area_of(std::uint16_t area_id) const noexcept {
        return refill_->areas().area(area_id);
    }
    // Bytes per buffer (the registration's rx_buf_len; 0: a page).
    [[nodiscard]] std::uint32_t rx_buf_len() const noexcept { return rx_buf_len_; }
    [[nodiscard]] RegionKind region_kind() const noexcept { return region_kind_; }
    [[nodiscard]] AreaKind area_kind() const noexcept { return area_kind_; }
    [[nodiscard]] std::uint64_t region_bytes() const noexcept { return region_.size(); }

    // The refill ring's memory and where registration said its parts are,
    // for a program that writes the ring itself (a fuzzer) instead of
    // through refill(): the two must not be used together.
    [[nodiscard]] std::span<std::byte> refill_region() const noexcept { return region_; }
    [[nodiscard]] const uapi::zcrx_offsets &refill_offsets() const noexcept { return offsets_; }

    [[nodiscard]] RefillQueue &refill() noexcept { return *refill_; }
    [[nodiscard]] const RefillQueue &refill() const noexcept { return *refill_; }

    // Has the kernel read every buffer given back through refill() now, in
    // this thread (ZCRX_CTRL_FLUSH_RQ): an idle queue reads the refill ring
    // only when its page pool needs buffers. Publishes what refill() holds
    // back, as often as returns still wait for room.
    [[nodiscard]] Result<void> flush_refill();

    // An area added to the live ifq.
    struct AddedArea {
        std::uint16_t id = 0;    // its area id: the top 16 bits of its offsets
        std::uint64_t token = 0; // rq_area_token (id << 48)
        std::uint64_t bytes = 0; // its length
    };
    // ZCRX_CTRL_ADD_AREA (Linux 7.3): one more area of size bytes (rounded
    // up to whole pages; a multiple of rx_buf_len()), of the first area's
    // kind (memory, MAP_HUGETLB pages with huge_pages, or a udmabuf), kept
    // mapped by refill(). Its buffers are received into and resolved by
    // refill() from then on: call it in the thread that uses refill(), whose
    // table of areas it changes. Errors carry the errno and what to do:
    // EINVAL or EOPNOTSUPP from a kernel without it says which kernel is
    // needed, EINVAL past max_areas, ERANGE for buffers larger than a page
    // without huge pages, ENOMEM past RLIMIT_MEMLOCK.
    [[nodiscard]] Result<AddedArea> add_area(std::uint64_t size, bool huge_pages = false);

    // ZCRX_CTRL_ARM_EVENT: let an event type (uapi::event_*) asked for at
    // registration fire again. EINVAL for a type not asked for.
    [[nodiscard]] Result<void> arm_event(std::uint32_t type);
    // The event types asked for at registration, and their CQEs' user_data.
    [[nodiscard]] std::uint32_t event_types() const noexcept { return event_types_; }
    [[nodiscard]] std::uint64_t event_user_data() const noexcept { return event_user_data_; }
    // Whether cqe is this ifq's event CQE, and what fired.
    [[nodiscard]] std::optional<ZcrxEvent> event_of(std::uint64_t cqe_user_data,
                                                    std::int32_t res) const noexcept {
        return event_types_ != 0 ? decode_event(cqe_user_data, res, event_user_data_)
                                 : std::nullopt;
    }
    // The kernel's copy statistics, if IfqConfig::stats asked for them.
    [[nodiscard]] std::optional<CopyStats> stats() const noexcept {
        return stats_offset_ != 0 ? read_copy_stats(region_, stats_offset_) : std::nullopt;
    }

    // ZCRX_CTRL_EXPORT: a close-on-exec descriptor that holds the kernel's
    // ifq (and so its queue) for import_ifq(), even after this ring closes.
    [[nodiscard]] Result<Fd> export_handle() const;
    // Export and import on ring at once: the ifq's id on ring. Before it
    // waits, ring publishes what refill() holds back from then on too.
    [[nodiscard]] Result<std::uint32_t> share_with(Ring &ring) const;

private:
    friend class Ring;
    Ifq() = default;

    // Checks config (check_config()), maps the area (and a user region),
    // registers the interface queue on ring (IORING_REGISTER_ZCRX_IFQ), maps
    // a kernel region, and sets up the refill ring. Registration errors carry
    // the errno and its zcrx hint; EINVAL for a device-less ifq from a kernel
    // whose query lacks ZCRX_REG_NODEV, or for events or statistics from one
    // without ZCRX_FEATURE_EVENT, says which kernel it needs.
    [[nodiscard]] static Result<std::unique_ptr<Ifq>> create(Ring &ring, const IfqConfig &config);

    // The queue keeps the memory: the first area, the refill region and
    // every added area, mapped for as long as a handle needs it.
    RefillQueue::Owner refill_;
    std::span<const std::byte> area_;
    std::span<std::byte> region_;
    std::uint64_t area_token_ = 0;
    std::uint64_t stats_offset_ = 0; // 0: no statistics
    std::uint64_t event_user_data_ = 0;
    std::uint32_t event_types_ = 0;
    std::uint32_t rx_buf_len_ = 0;
    uapi::zcrx_offsets offsets_{};
    std::uint32_t rq_entries_ = 0;
    std::uint32_t id_ = 0;
    int ring_fd_ = -1; // of the ring that owns it, for control calls
    RegionKind region_kind_ = RegionKind::user;
    AreaKind area_kind_ = AreaKind::anonymous;
};

} // namespace zcrx
