#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "zcrx/area.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/query.hpp"

using zcrx::uapi::zcrx_offsets;
using zcrx::uapi::zcrx_rqe;

namespace {

constexpr std::uint64_t page = 4096;

// What the kernel reports: head at 0, tail at 4, entries on the next cache line.
constexpr zcrx_offsets kernel_offsets{0, 4, 64, 0, {0, 0}};

struct Region {
    explicit Region(std::size_t bytes) : mem(bytes / 8) {}
    std::span<std::byte> bytes() { return std::as_writable_bytes(std::span(mem)); }
    std::vector<std::uint64_t> mem; // 8-byte aligned
};

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

} // namespace

TEST_CASE("refill entries round up to a power of two, at most 32768", "[ifq]") {
    CHECK(zcrx::rq_entries_for(0) == 0);
    CHECK(zcrx::rq_entries_for(1) == 1);
    CHECK(zcrx::rq_entries_for(3) == 4);
    CHECK(zcrx::rq_entries_for(4096) == 4096);
    CHECK(zcrx::rq_entries_for(4097) == 8192);
    CHECK(zcrx::rq_entries_for(32768) == 32768);
    CHECK(zcrx::rq_entries_for(32769) == 0);
    CHECK(zcrx::rq_entries_for(UINT32_MAX) == 0);
}

TEST_CASE("the region holds the header and every entry, in whole pages", "[ifq]") {
    CHECK(zcrx::region_size(1, page) == page);
    CHECK(zcrx::region_size(252, page) == page); // 64 + 252 * 16 == 4096
    CHECK(zcrx::region_size(253, page) == 2 * page);
    CHECK(zcrx::region_size(4096, page) == 17 * page);
    CHECK(zcrx::region_size(32768, page) == 129 * page);
    CHECK(zcrx::region_size(4096, 65536) == 2 * 65536);

    int bad = 0;
    for (std::uint32_t n = 1; n <= zcrx::max_rq_entries; n <<= 1) {
        const std::uint64_t size = zcrx::region_size(n, page);
        bad += size % page != 0 || size < kernel_offsets.rqes + std::uint64_t{n} * 16 ||
               size >= kernel_offsets.rqes + std::uint64_t{n} * 16 + page;
    }
    CHECK(bad == 0);
}

TEST_CASE("an area holds one buffer per page, partial pages rounded up", "[ifq]") {
    CHECK(zcrx::area_buffers(0, page) == 0);
    CHECK(zcrx::area_buffers(1, page) == 1);
    CHECK(zcrx::area_buffers(page, page) == 1);
    CHECK(zcrx::area_buffers(page + 1, page) == 2);
    CHECK(zcrx::area_buffers(std::uint64_t{2} << 20, page) == 512);
    CHECK(zcrx::area_buffers(std::uint64_t{32} << 20, page) == 8192);
    CHECK(zcrx::area_buffers(zcrx::max_area_len, page) == zcrx::max_area_len / page);
    CHECK(zcrx::area_buffers(std::uint64_t{2} << 20, 65536) == 32);
    static_assert(zcrx::area_buffers(8192, 4096) == 2);
}

TEST_CASE("a refill ring is set up at the offsets the kernel reported", "[ifq]") {
    Region region(zcrx::region_size(8, page));
    REQUIRE(region.bytes().size() == page);
    zcrx::Result<zcrx::RefillRing> rq = zcrx::refill_ring_in(region.bytes(), kernel_offsets, 8);
    REQUIRE(rq.ok());
    CHECK(rq->entries() == 8);
    REQUIRE(rq->push(0x1234, 99));
    rq->publish();

    std::byte *base = region.bytes().data();
    const auto tail = std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t *>(base + 4));
    CHECK(tail.load() == 1);
    const auto *rqes = reinterpret_cast<const zcrx_rqe *>(base + 64);
    CHECK(rqes[0].off == 0x1234);
    CHECK(rqes[0].len == 99);
}

TEST_CASE("refill-ring offsets that do not fit are refused", "[ifq]") {
    Region region(page);
    const auto refused = [&](zcrx_offsets off, std::uint32_t entries) {
        zcrx::Result<zcrx::RefillRing> rq = zcrx::refill_ring_in(region.bytes(), off, entries);
        if (rq.ok())
            return false;
        INFO(rq.error().message());
        CHECK(rq.error().err == EINVAL);
        CHECK(contains(rq.error().message(), "refill ring"));
        return true;
    };
    CHECK(refused(kernel_offsets, 253));                  // 64 + 253 * 16 > 4096
    CHECK(refused(kernel_offsets, 6));                    // not a power of two
    CHECK(refused(kernel_offsets, 65536));                // too many
    CHECK(refused({0, 4, 4096, 0, {0, 0}}, 1));           // entries past the end
    CHECK(refused({0, 4096, 64, 0, {0, 0}}, 1));          // tail past the end
    CHECK(refused({0, 2, 64, 0, {0, 0}}, 1));             // misaligned tail
    CHECK(refused({0, 4, 68, 0, {0, 0}}, 1));             // misaligned entries
    CHECK(refused({0, 0, 64, 0, {0, 0}}, 1));             // head == tail
    CHECK(refused({0, 64, 64, 0, {0, 0}}, 1));            // tail inside the entries
    CHECK_FALSE(refused({0, 4, 2048, 0, {0, 0}}, 128));   // exactly fits
    CHECK_FALSE(refused({128, 192, 256, 0, {0, 0}}, 16)); // anywhere, if it fits
}

TEST_CASE("mappings are page-aligned and move-only", "[ifq]") {
    zcrx::Result<zcrx::Mapping> m = zcrx::Mapping::anonymous(3 * page, false, "map");
    REQUIRE(m.ok());
    const std::span<std::byte> bytes = m->bytes();
    CHECK(bytes.size() == 3 * page);
    CHECK(reinterpret_cast<std::uintptr_t>(bytes.data()) % page == 0);
    bytes[3 * page - 1] = std::byte{1};

    zcrx::Mapping moved = std::move(m).value();
    CHECK(moved.bytes().data() == bytes.data());
    zcrx::Mapping other;
    other = std::move(moved);
    CHECK(other.bytes().data() == bytes.data());
    CHECK(moved.bytes().empty()); // NOLINT(bugprone-use-after-move): moved-from is empty
    other.reset();
    CHECK(other.bytes().empty());

    static_assert(!std::is_copy_constructible_v<zcrx::Mapping>);
    static_assert(std::is_nothrow_move_constructible_v<zcrx::Mapping>);
}

TEST_CASE("an unknown interface name is ENODEV with advice", "[ifq]") {
    const zcrx::Result<std::uint32_t> idx = zcrx::interface_index("zcrx-nosuch0");
    REQUIRE_FALSE(idx.ok());
    CHECK(idx.error().err == ENODEV);
    CHECK(contains(idx.error().message(), "zcrx-nosuch0"));
    CHECK(contains(idx.error().message(), "(ENODEV)"));
    CHECK(contains(idx.error().message(), "ip link"));
}

TEST_CASE("importing a negative descriptor is EBADF with advice, without a call", "[ifq]") {
    auto ring = zcrx::Ring::create();
    REQUIRE(ring);
    const zcrx::Result<std::uint32_t> id = zcrx::import_ifq(*ring, -1);
    REQUIRE_FALSE(id.ok());
    CHECK(id.error().err == EBADF);
    CHECK(contains(id.error().message(), "export_handle"));
}

TEST_CASE("a device-less config names no interface index", "[ifq][nodev]") {
    zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    c.if_index = 3;
    const zcrx::Result<void> r = zcrx::check_config(c);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message());
    CHECK(r.error().err == EINVAL);
    CHECK(contains(r.error().message(), "device-less"));
    CHECK(contains(r.error().message(), "ifindex 3"));
    CHECK(contains(r.error().message(), "leave if_index, rx_queue and if_name unset"));
}

TEST_CASE("a device-less config names no queue", "[ifq][nodev]") {
    zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    c.rx_queue = 1;
    const zcrx::Result<void> r = zcrx::check_config(c);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message());
    CHECK(r.error().err == EINVAL);
    CHECK(contains(r.error().message(), "queue 1"));
}

TEST_CASE("a device-less config names no interface", "[ifq][nodev]") {
    zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    c.if_name = "eth0";
    const zcrx::Result<void> r = zcrx::check_config(c);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message());
    CHECK(r.error().err == EINVAL);
    CHECK(contains(r.error().message(), "eth0"));
}

TEST_CASE("a device-less config has no dma-buf area: the kernel copies into it", "[ifq][nodev]") {
    zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    c.area = zcrx::AreaKind::udmabuf;
    const zcrx::Result<void> r = zcrx::check_config(c);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message());
    CHECK(r.error().err == EINVAL);
    CHECK(contains(r.error().message(), "dma-buf"));
    CHECK(contains(r.error().message(), "anonymous memory"));
}

TEST_CASE("a device-less config without device fields passes the checks", "[ifq][nodev]") {
    const zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    CHECK(c.no_device);
    CHECK(c.if_index == 0);
    CHECK(c.rx_queue == 0);
    CHECK(c.area == zcrx::AreaKind::anonymous);
    const zcrx::Result<void> r = zcrx::check_config(c);
    INFO((r ? std::string() : r.error().message()));
    CHECK(r.ok());
}

TEST_CASE("a device-less config takes buffers larger than a page without huge pages",
          "[ifq][nodev]") {
    zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    c.area_size = 64 * 1024;
    c.rx_buf_len = 16 * 1024;
    const zcrx::Result<void> r = zcrx::check_config(c);
    INFO((r ? std::string() : r.error().message()));
    CHECK(r.ok());
}

TEST_CASE("a device config may name its interface and queue", "[ifq]") {
    zcrx::IfqConfig c;
    c.if_index = 3;
    c.rx_queue = 1;
    c.if_name = "eth0";
    CHECK(zcrx::check_config(c).ok());
}

TEST_CASE("register_ifq refuses a device-less config naming a queue before registering",
          "[ifq][nodev]") {
    auto ring = zcrx::Ring::create();
    REQUIRE(ring);
    zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    c.rx_queue = 2;
    const zcrx::Result<std::reference_wrapper<zcrx::Ifq>> ifq = ring->register_ifq(c);
    REQUIRE_FALSE(ifq.ok());
    INFO(ifq.error().message());
    CHECK(ifq.error().err == EINVAL);
    CHECK(contains(ifq.error().message(), "set up a device-less zcrx ifq"));
}

// On a kernel whose query has ZCRX_REG_NODEV (7.1, or this series) the
// registration is real and the VM tests cover it; the host kernel has none.
TEST_CASE("a device-less registration the kernel does not know is EINVAL naming Linux 7.1",
          "[ifq][nodev]") {
    if (zcrx::kernel_has_nodev()) {
        WARN("this kernel has ZCRX_REG_NODEV: nothing to check here");
        return;
    }
    auto ring = zcrx::Ring::create();
    REQUIRE(ring);
    zcrx::IfqConfig c = zcrx::IfqConfig::device_less();
    c.area_size = 16 * page;
    c.rq_entries = 64;
    const zcrx::Result<std::reference_wrapper<zcrx::Ifq>> ifq = ring->register_ifq(c);
    REQUIRE_FALSE(ifq.ok());
    INFO(ifq.error().message());
    if (ifq.error().err == EPERM) {
        WARN("no CAP_NET_ADMIN: the kernel refused before it read the flags");
        return;
    }
    CHECK(ifq.error().err == EINVAL);
    CHECK(contains(ifq.error().message(), "register a device-less zcrx ifq (ZCRX_REG_NODEV)"));
    CHECK(contains(ifq.error().message(), "needs Linux 7.1 or the zcrx series' NODEV patch"));
}

TEST_CASE("statistics sit right past the refill entries, 8-byte aligned", "[ifq][stats]") {
    CHECK(zcrx::stats_offset_for(1) == 64 + 16);
    CHECK(zcrx::stats_offset_for(64) == 64 + 64 * 16);
    CHECK(zcrx::stats_offset_for(4096) == 64 + 4096 * 16);
    int bad = 0;
    for (std::uint32_t n = 1; n <= zcrx::max_rq_entries; n <<= 1) {
        const std::uint64_t off = zcrx::stats_offset_for(n);
        // past where the kernel puts the entries, aligned, inside the region
        bad += off < kernel_offsets.rqes + std::uint64_t{n} * 16 || off % 8 != 0 ||
               off + sizeof(zcrx::uapi::zcrx_stats) > zcrx::region_size_with_stats(n, page);
    }
    CHECK(bad == 0);
}

TEST_CASE("the region grows by a page where the statistics do not fit", "[ifq][stats]") {
    // 64 + 252 * 16 fills a page exactly: the statistics need a second one
    CHECK(zcrx::region_size(252, page) == page);
    CHECK(zcrx::region_size_with_stats(252, page) == 2 * page);
    // room to spare: no growth
    CHECK(zcrx::region_size_with_stats(64, page) == zcrx::region_size(64, page));
    CHECK(zcrx::region_size_with_stats(4096, page) == zcrx::region_size(4096, page));
}

TEST_CASE("copy statistics are read where the kernel keeps them", "[ifq][stats]") {
    Region region(page);
    const std::uint64_t off = zcrx::stats_offset_for(64);
    region.mem[off / 8] = 7;           // copy_count
    region.mem[off / 8 + 1] = 1 << 20; // copy_bytes
    const std::optional<zcrx::CopyStats> st = zcrx::read_copy_stats(region.bytes(), off);
    REQUIRE(st);
    CHECK(st->copy_count == 7);
    CHECK(st->copy_bytes == 1 << 20);
}

TEST_CASE("copy statistics outside the region or misaligned are not read", "[ifq][stats]") {
    Region region(page);
    CHECK_FALSE(zcrx::read_copy_stats(region.bytes(), page - 8));        // half outside
    CHECK_FALSE(zcrx::read_copy_stats(region.bytes(), page + 64));       // past the end
    CHECK_FALSE(zcrx::read_copy_stats(region.bytes(), 84));              // not 8-aligned
    CHECK(zcrx::read_copy_stats(region.bytes(), page - 16).has_value()); // the last 16 bytes
}

TEST_CASE("an event mask with types the library does not know is refused", "[ifq][events]") {
    zcrx::IfqConfig c;
    c.if_index = 3;
    c.event_types = zcrx::known_event_types | zcrx::event_bit(5);
    const zcrx::Result<void> r = zcrx::check_config(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().err == EINVAL);
    CHECK(contains(r.error().message(), "unknown event types"));
    c.event_types = zcrx::known_event_types;
    CHECK(zcrx::check_config(c).ok());
}

TEST_CASE("the library's defaults are valid requests", "[ifq]") {
    const zcrx::IfqConfig c;
    CHECK(zcrx::rq_entries_for(c.rq_entries) == c.rq_entries);
    CHECK(c.area_size % page == 0);
    CHECK(c.region == zcrx::RegionKind::user);
    CHECK(c.refill_batch >= 1);
    CHECK_FALSE(c.no_device);
    CHECK(c.event_types == 0); // events and statistics only when asked for
    CHECK_FALSE(c.stats);
}

// An Ifq exists only inside the Ring that registered it: nobody else can
// make, copy or move one, so none can outlive its ring.
static_assert(!std::is_default_constructible_v<zcrx::Ifq>);
template <typename I>
concept made_outside_a_ring = requires(zcrx::Ring &ring, const zcrx::IfqConfig &c) {
    I::create(ring, c);
};
static_assert(!made_outside_a_ring<zcrx::Ifq>);
static_assert(!std::is_copy_constructible_v<zcrx::Ifq>);
static_assert(!std::is_move_constructible_v<zcrx::Ifq>);
static_assert(!std::is_move_assignable_v<zcrx::Ifq>);
static_assert(std::is_same_v<decltype(std::declval<zcrx::Ring &>().register_ifq(
                                 std::declval<const zcrx::IfqConfig &>())),
                             zcrx::Result<std::reference_wrapper<zcrx::Ifq>>>);
static_assert(!std::is_copy_constructible_v<zcrx::Ring>);
static_assert(std::is_nothrow_move_constructible_v<zcrx::Ring>);
