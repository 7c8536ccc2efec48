#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/mman.h>

#include "zcrx/area.hpp"
#include "zcrx/buffer.hpp"
#include "zcrx/mapping.hpp"

using zcrx::BufferBacklog;
using zcrx::BufferHandle;
using zcrx::RefillQueue;
using zcrx::uapi::zcrx_rqe;

namespace {

constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t page = 4096;
constexpr zcrx_rqe poison{~std::uint64_t{0}, u32_max, u32_max};

// A refill ring in plain memory with the kernel's side of it: reads
// published entries from a private head and poisons every slot it has read,
// so an entry read twice, or a slot never written, shows up as poison.
struct KernelSide {
    explicit KernelSide(std::uint32_t entries, std::uint32_t start = 0)
        : head(start), tail(start), rqes(entries, poison) {}

    zcrx::RefillRing ring() { return {&head, &tail, rqes.data(), entries()}; }
    std::uint32_t entries() const { return static_cast<std::uint32_t>(rqes.size()); }
    std::uint32_t published() const {
        return std::atomic_ref<const std::uint32_t>(tail).load(std::memory_order_acquire);
    }

    std::vector<zcrx_rqe> consume(std::uint32_t max = u32_max) {
        std::vector<zcrx_rqe> out;
        const std::uint32_t t = published();
        std::uint32_t h = head;
        for (; h != t && out.size() < max; ++h) {
            zcrx_rqe &slot = rqes[h & (entries() - 1)];
            out.push_back(slot);
            slot = poison;
        }
        std::atomic_ref<std::uint32_t>(head).store(h, std::memory_order_release);
        return out;
    }

    std::uint32_t head;
    std::uint32_t tail;
    std::vector<zcrx_rqe> rqes;
};

// The area: byte i holds i % 253, so a view shows where it points.
struct Area {
    explicit Area(std::size_t pages) : mem(pages * page) {
        for (std::size_t i = 0; i < mem.size(); ++i)
            mem[i] = static_cast<std::byte>(i % 253);
    }
    std::span<const std::byte> bytes() const { return mem; }
    std::vector<std::byte> mem;
};

std::uint64_t off_of(std::size_t page_index, std::size_t in_page = 0) {
    return zcrx::encode_off(0, page_index * page + in_page);
}

std::vector<std::uint64_t> offs(const std::vector<zcrx_rqe> &v) {
    std::vector<std::uint64_t> out;
    for (const zcrx_rqe &e : v)
        out.push_back(e.off);
    return out;
}

} // namespace

TEST_CASE("a handle views its chunk of the area", "[buffer]") {
    KernelSide k(16);
    Area area(8);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 4, 8);

    BufferHandle h = q->adopt(off_of(2, 10), 100);
    REQUIRE(h);
    CHECK(h.data().data() == area.mem.data() + 2 * page + 10);
    CHECK(h.size() == 100);
    CHECK(h.off() == off_of(2, 10));
    CHECK(h.data()[0] == area.mem[2 * page + 10]);
    CHECK(q->outstanding() == 1);
    h.reset();
    CHECK_FALSE(h);
    CHECK(h.data().empty());
    CHECK(q->outstanding() == 0);
}

TEST_CASE("a released handle writes one entry with the CQE's off and len", "[buffer]") {
    KernelSide k(16);
    Area area(8);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 4, 8);
    {
        BufferHandle h = q->adopt(off_of(3, 5), 1000);
        CHECK(k.rqes[0].off == poison.off); // nothing written while lent out
    }
    CHECK(k.rqes[0].off == off_of(3, 5));
    CHECK(k.rqes[0].len == 1000);
    CHECK(k.rqes[0].pad == 0);
    CHECK(k.published() == 0); // batch of 4 not reached
    CHECK(q->unpublished() == 1);
    CHECK(q->flush() == 1);
    CHECK(k.published() == 1);
    CHECK(q->flush() == 0);
    CHECK(q->stats().returned == 1);
    CHECK(q->stats().batches == 1);
}

TEST_CASE("returns are published with one tail store per batch", "[buffer]") {
    KernelSide k(64);
    Area area(16);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 4, 16);

    std::vector<BufferHandle> held;
    for (std::size_t i = 0; i < 10; ++i)
        held.push_back(q->adopt(off_of(i), 64));

    // The tail moves only on the 4th and 8th return: one store each.
    std::vector<std::uint32_t> tails;
    for (BufferHandle &h : held) {
        h.reset();
        tails.push_back(k.published());
    }
    CHECK(tails == std::vector<std::uint32_t>{0, 0, 0, 4, 4, 4, 4, 8, 8, 8});
    CHECK(q->stats().batches == 2);
    CHECK(q->flush() == 2);
    CHECK(k.published() == 10);
    CHECK(q->stats().batches == 3);
    CHECK(q->stats().returned == 10);
}

TEST_CASE("entries follow release order, not receive order", "[buffer]") {
    KernelSide k(16);
    Area area(8);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 16, 8);
    BufferHandle a = q->adopt(off_of(1), 1);
    BufferHandle b = q->adopt(off_of(2), 2);
    BufferHandle c = q->adopt(off_of(3), 3);
    c.reset();
    a.reset();
    b.reset();
    q->flush();
    const std::vector<zcrx_rqe> got = k.consume();
    CHECK(offs(got) == std::vector<std::uint64_t>{off_of(3), off_of(1), off_of(2)});
    CHECK(got[0].len == 3);
    CHECK(got[1].len == 1);
}

TEST_CASE("moving a handle moves the loan; it is returned once", "[buffer]") {
    KernelSide k(16);
    Area area(8);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 1, 8);

    BufferHandle a = q->adopt(off_of(1), 10);
    BufferHandle b(std::move(a));
    CHECK_FALSE(a); // NOLINT(bugprone-use-after-move)
    CHECK(b.size() == 10);
    a.reset(); // returns nothing
    CHECK(k.published() == 0);

    BufferHandle c = q->adopt(off_of(2), 20);
    c = std::move(b); // c's own buffer goes back first
    CHECK(offs(k.consume()) == std::vector<std::uint64_t>{off_of(2)});
    CHECK(c.off() == off_of(1));
    c = std::move(c); // self-move keeps it
    CHECK(c);
    c = BufferHandle();
    CHECK(offs(k.consume()) == std::vector<std::uint64_t>{off_of(1)});
    CHECK(q->stats().returned == 2);
    CHECK(q->outstanding() == 0);
}

TEST_CASE("every entry is written once across tail wrap-around", "[buffer]") {
    // Counters start just below 2^32; 8 slots; batches of 3.
    KernelSide k(8, u32_max - 20);
    Area area(64);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 3, 64);

    std::map<std::uint64_t, int> seen;
    int poisoned = 0;
    std::vector<BufferHandle> held;
    std::size_t next = 0;
    for (int round = 0; round < 200; ++round) {
        // Receive a few, release them in reverse, let the kernel take some.
        const std::size_t n = 1 + static_cast<std::size_t>(round % 5);
        for (std::size_t i = 0; i < n; ++i, ++next)
            held.push_back(
                q->adopt(off_of(next % 64, next / 64), static_cast<std::uint32_t>(next)));
        while (!held.empty())
            held.pop_back();
        if (round % 3 == 0)
            q->flush();
        for (const zcrx_rqe &e : k.consume(static_cast<std::uint32_t>(round % 4 + 1))) {
            poisoned += e.off == poison.off;
            seen[e.off] += 1;
            CHECK(e.len == static_cast<std::uint32_t>((e.off / page) + (e.off % page) * 64));
        }
    }
    // Drain what is left: the kernel consumes, we flush deferred returns.
    while (q->unpublished() != 0 || k.published() != k.head) {
        q->flush();
        for (const zcrx_rqe &e : k.consume()) {
            poisoned += e.off == poison.off;
            seen[e.off] += 1;
        }
    }
    CHECK(poisoned == 0);
    CHECK(seen.size() == next);
    CHECK(std::all_of(seen.begin(), seen.end(), [](const auto &kv) { return kv.second == 1; }));
    CHECK(next > 21); // the counters went past 2^32
    CHECK(k.head == static_cast<std::uint32_t>(u32_max - 20 + next));
    CHECK(q->stats().returned == next);
    CHECK(q->stats().lost == 0);
}

TEST_CASE("a full ring defers returns until the kernel makes room", "[buffer]") {
    KernelSide k(4);
    Area area(16);
    const RefillQueue::Owner q =
        RefillQueue::create(k.ring(), area.bytes(), 0, 100, 8); // batch clamped to 4
    CHECK(q->batch() == 4);

    std::vector<BufferHandle> held;
    for (std::size_t i = 0; i < 6; ++i)
        held.push_back(q->adopt(off_of(i), 1));
    held.clear();
    CHECK(k.published() == 4); // the first four, as one batch
    CHECK(q->stats().deferred == 2);
    CHECK(q->unpublished() == 2);
    CHECK(q->flush() == 0); // still full
    CHECK(offs(k.consume(3)) == std::vector<std::uint64_t>{off_of(0), off_of(1), off_of(2)});
    CHECK(q->flush() == 2);
    CHECK(q->unpublished() == 0);
    CHECK(offs(k.consume()) == std::vector<std::uint64_t>{off_of(3), off_of(4), off_of(5)});

    // A new return waits behind deferred ones even when the ring has room.
    for (std::size_t i = 6; i < 11; ++i)
        held.push_back(q->adopt(off_of(i), 1));
    held.clear(); // 6..9 fill the ring, 10 is deferred
    CHECK(q->unpublished() == 1);
    CHECK(k.consume(2).size() == 2);
    (void)q->adopt(off_of(11), 1); // dropped at once: back behind the deferred
    CHECK(q->unpublished() == 2);
    CHECK(q->stats().deferred == 4);
    CHECK(q->flush() == 2);
    CHECK(offs(k.consume()) ==
          std::vector<std::uint64_t>{off_of(8), off_of(9), off_of(10), off_of(11)});
    CHECK(q->stats().lost == 0);
}

TEST_CASE("a chunk outside the area yields no handle but is still given back", "[buffer]") {
    KernelSide k(16);
    Area area(4);
    const std::uint64_t token = zcrx::area_token(3);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), token, 1, 4);

    CHECK(q->adopt(zcrx::encode_off(3, 4 * page - 10), 10));       // last bytes: fine
    CHECK_FALSE(q->adopt(zcrx::encode_off(3, 4 * page - 10), 11)); // one past the end
    CHECK_FALSE(q->adopt(zcrx::encode_off(0, 0), 10));             // another area
    CHECK_FALSE(q->adopt(zcrx::encode_off(3, 0), 0));              // empty
    CHECK(q->outstanding() == 0);
    const std::vector<zcrx_rqe> got = k.consume();
    REQUIRE(got.size() == 4);
    CHECK(got[1].off == zcrx::encode_off(3, 4 * page - 10));
    CHECK(got[1].len == 11);
    CHECK(got[2].off == zcrx::encode_off(0, 0));
}

TEST_CASE("a completion nobody wants goes back by dropping its handle", "[buffer]") {
    KernelSide k(16);
    Area area(4);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 2, 4);
    (void)q->adopt(off_of(1), 7);
    CHECK(k.published() == 0);
    CHECK(q->outstanding() == 0);
    (void)q->adopt(off_of(2), 8);
    CHECK(k.published() == 2);
    CHECK(q->stats().returned == 2);
    CHECK(offs(k.consume()) == std::vector<std::uint64_t>{off_of(1), off_of(2)});
}

TEST_CASE("destroying the queue publishes what is pending", "[buffer]") {
    KernelSide k(16);
    Area area(4);
    {
        const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 8, 4);
        (void)q->adopt(off_of(1), 7);
        CHECK(k.published() == 0);
    }
    CHECK(k.published() == 1);
}

// The queue's lifetime is in the types: only an Owner destroys it (it is
// not destructible anywhere else, so it cannot live on the stack or in a
// member that dies before its handles), and the only way a buffer goes back
// is through a handle.
static_assert(!std::is_destructible_v<RefillQueue>);
static_assert(!std::is_constructible_v<RefillQueue, zcrx::RefillRing, std::span<const std::byte>,
                                       std::uint64_t, std::uint32_t, std::size_t>);
static_assert(!std::is_constructible_v<RefillQueue::Owner, RefillQueue *>); // create() alone
static_assert(!std::is_copy_constructible_v<RefillQueue::Owner>);
template <typename Q>
concept returns_without_handle = requires(Q &q) {
    q.give_back(std::uint64_t{0}, 0U);
};
static_assert(!returns_without_handle<RefillQueue>);
template <typename Q>
concept releases_by_offset = requires(Q &q) {
    q.release(std::uint64_t{0}, 0U);
};
static_assert(!releases_by_offset<RefillQueue>);
static_assert(!std::is_copy_constructible_v<RefillQueue::Ref>);
static_assert(std::is_nothrow_move_constructible_v<RefillQueue::Ref>);

namespace {

// An area the queue keeps: mapped memory, byte i holding i % 253.
zcrx::Mapping mapped_area(std::size_t pages) {
    zcrx::Result<zcrx::Mapping> m = zcrx::Mapping::anonymous(pages * page, false, "test area");
    REQUIRE(m);
    std::span<std::byte> b = m->bytes();
    for (std::size_t i = 0; i < b.size(); ++i)
        b[i] = static_cast<std::byte>(i % 253);
    return std::move(m).value();
}

// Whether the page at p is mapped: the queue unmaps what it keeps when it
// is destroyed, which tells that it was.
bool mapped(const std::byte *p) {
    unsigned char resident = 0;
    return ::mincore(const_cast<std::byte *>(p), page, &resident) == 0;
}

} // namespace

TEST_CASE("handles outlive the queue's owner: their memory stays and they still go back",
          "[buffer][lifetime]") {
    KernelSide k(16);
    zcrx::Mapping area = mapped_area(4);
    const std::span<const std::byte> bytes = area.bytes();
    RefillQueue::Owner q = RefillQueue::create(k.ring(), bytes, 0, 8, 4);
    q->keep(std::move(area));
    BufferHandle a = q->adopt(off_of(1, 3), 100);
    BufferHandle b = q->adopt(off_of(2), 200);
    RefillQueue *const raw = q.get();

    q.reset(); // the Ifq (the owner) is gone; the queue lives on for a and b
    CHECK_FALSE(raw->owned());
    CHECK(raw->outstanding() == 2);
    REQUIRE(a.data().size() == 100);
    CHECK(a.data()[0] == static_cast<std::byte>((page + 3) % 253)); // still mapped
    a.reset();
    CHECK(k.published() == 1); // published at once: nobody flushes any more
    CHECK(mapped(bytes.data()));
    b = BufferHandle(); // the last one: the queue and its area go now
    const bool area_mapped = mapped(bytes.data());
    CHECK_FALSE(area_mapped);
    CHECK(k.published() == 2);
    CHECK(offs(k.consume()) == std::vector<std::uint64_t>{off_of(1, 3), off_of(2)});
    // ASan and LeakSanitizer (the sanitizer run) see neither a use after
    // free above nor the queue left behind.
}

TEST_CASE("a Ref keeps the queue after its owner let go", "[buffer][lifetime]") {
    KernelSide k(16);
    zcrx::Mapping area = mapped_area(4);
    const std::byte *const base = area.bytes().data();
    RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 4, 4);
    q->keep(std::move(area));
    RefillQueue::Ref ref(*q);
    RefillQueue::Ref moved = std::move(ref);
    CHECK_FALSE(ref);
    q.reset();
    REQUIRE(moved);
    CHECK_FALSE(moved->owned());
    {
        BufferHandle h = moved->adopt(off_of(3), 10);
        CHECK(h.data().data() == base + 3 * page);
    }
    CHECK(k.published() == 1);
    // a chunk it refuses goes back at once too
    CHECK_FALSE(moved->adopt(zcrx::encode_off(0, 4 * page), 10));
    CHECK(k.published() == 2);
    REQUIRE(mapped(base));
    moved.reset(); // the last holder: the queue goes, and the area with it
    const bool area_mapped = mapped(base);
    CHECK_FALSE(area_mapped);
}

TEST_CASE("Refs move and are assigned like the handles", "[buffer][lifetime]") {
    KernelSide k(16);
    zcrx::Mapping area = mapped_area(4);
    const std::byte *const base = area.bytes().data();
    RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 4, 4);
    q->keep(std::move(area));
    RefillQueue::Ref a(*q);
    RefillQueue::Ref b(*q);
    q.reset();
    a = std::move(b); // a's own reference goes, b's moves in: one left
    CHECK_FALSE(b);
    REQUIRE(a);
    REQUIRE(mapped(base));
    a = RefillQueue::Ref(); // the last one
    const bool area_mapped = mapped(base);
    CHECK_FALSE(area_mapped);
}

TEST_CASE("an owner letting go publishes what is pending though handles remain",
          "[buffer][lifetime]") {
    KernelSide k(16);
    Area area(4);
    RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 8, 4);
    BufferHandle held = q->adopt(off_of(0), 1);
    (void)q->adopt(off_of(1), 1);
    CHECK(k.published() == 0);
    q.reset();
    CHECK(k.published() == 1);
    held.reset();
    CHECK(k.published() == 2);
}

TEST_CASE("a backlog keeps the newest buffers and lets the oldest go", "[buffer][backlog]") {
    KernelSide k(16);
    Area area(8);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 1, 8);
    BufferBacklog b(3);
    CHECK(b.capacity() == 3);
    CHECK(b.empty());

    // Filling it displaces nothing; nothing goes back to the kernel.
    for (std::uint64_t i = 0; i < 3; ++i) {
        BufferBacklog::Entry out = b.push({i, q->adopt(off_of(i), 10)});
        CHECK_FALSE(out.buffer);
    }
    CHECK(b.size() == 3);
    CHECK(q->outstanding() == 3);
    CHECK(k.published() == 0);

    // Each further push hands back the oldest, tag and bytes intact.
    for (std::uint64_t i = 3; i < 7; ++i) {
        BufferBacklog::Entry out = b.push({i, q->adopt(off_of(i), 10)});
        REQUIRE(out.buffer);
        CHECK(out.tag == i - 3);
        CHECK(out.buffer.off() == off_of(i - 3));
        CHECK(out.buffer.data().data() == area.mem.data() + (i - 3) * page);
        CHECK(b.size() == 3);
        out.buffer.reset();
        CHECK(offs(k.consume()) == std::vector<std::uint64_t>{off_of(i - 3)});
    }
    CHECK(q->outstanding() == 3);
}

TEST_CASE("a backlog drains oldest first and returns the rest when destroyed",
          "[buffer][backlog]") {
    KernelSide k(16);
    Area area(8);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 1, 8);
    {
        BufferBacklog b(4);
        for (std::uint64_t i = 0; i < 6; ++i)
            b.push({i, q->adopt(off_of(i), 1)}).buffer.reset(); // wraps around once
        std::vector<std::uint64_t> tags;
        for (int i = 0; i < 2; ++i)
            tags.push_back(b.pop().tag);
        CHECK(tags == std::vector<std::uint64_t>{2, 3});
        CHECK(b.size() == 2);
        CHECK(q->outstanding() == 2);
        CHECK(b.push({6, q->adopt(off_of(6), 1)}).buffer.size() == 0);
        CHECK(b.pop().buffer.off() == off_of(4));
        CHECK(q->outstanding() == 2);
    }
    CHECK(q->outstanding() == 0);
    CHECK(q->stats().returned == 7);
}

TEST_CASE("a backlog of capacity 0 holds nothing; pop on empty is harmless", "[buffer][backlog]") {
    KernelSide k(16);
    Area area(4);
    const RefillQueue::Owner q = RefillQueue::create(k.ring(), area.bytes(), 0, 1, 4);
    BufferBacklog none(0);
    BufferBacklog::Entry out = none.push({9, q->adopt(off_of(1), 5)});
    CHECK(out.tag == 9);
    CHECK(out.buffer.off() == off_of(1));
    CHECK(none.empty());
    CHECK_FALSE(none.pop().buffer);

    BufferBacklog one(1);
    CHECK_FALSE(one.pop().buffer);
    CHECK_FALSE(one.push({1, q->adopt(off_of(2), 5)}).buffer);
    CHECK(one.push({2, q->adopt(off_of(3), 5)}).tag == 1);
    CHECK(one.pop().tag == 2);
    CHECK(one.empty());
}

static_assert(std::is_nothrow_move_constructible_v<BufferBacklog::Entry>);
static_assert(std::is_nothrow_move_assignable_v<BufferBacklog::Entry>);

static_assert(!std::is_copy_constructible_v<BufferHandle>);
static_assert(!std::is_copy_assignable_v<BufferHandle>);
static_assert(std::is_nothrow_move_constructible_v<BufferHandle>);
static_assert(std::is_nothrow_move_assignable_v<BufferHandle>);
static_assert(std::is_nothrow_destructible_v<BufferHandle>);
static_assert(!std::is_move_constructible_v<RefillQueue>);
static_assert(!std::is_copy_constructible_v<RefillQueue>);

// Several areas (ZCRX_CTRL_ADD_AREA): a completion's top bits pick the area.

TEST_CASE("an area table resolves an offset in the area its id names", "[buffer][areas]") {
    Area first(4);
    Area second(2);
    zcrx::AreaTable t;
    t.reserve(3);
    REQUIRE(t.add(0, first.bytes()));
    REQUIRE(t.add(2, second.bytes()));
    CHECK(t.size() == 2);
    CHECK(t.bytes() == 6 * page);
    CHECK(t.resolve(zcrx::encode_off(0, page + 3), 10) == first.mem.data() + page + 3);
    CHECK(t.resolve(zcrx::encode_off(2, page + 3), 10) == second.mem.data() + page + 3);
    CHECK(t.area(2).data() == second.mem.data());
    CHECK(t.area(2).size() == 2 * page);
    CHECK(t.area(1).empty());
}

TEST_CASE("an area table rejects chunks outside their area and unknown ids", "[buffer][areas]") {
    Area first(4);
    Area second(2);
    zcrx::AreaTable t;
    t.reserve(2);
    REQUIRE(t.add(0, first.bytes()));
    REQUIRE(t.add(1, second.bytes()));
    CHECK(t.resolve(zcrx::encode_off(1, 2 * page - 10), 10) != nullptr); // last bytes
    // in bounds of the first area, but past the end of the second
    CHECK(t.resolve(zcrx::encode_off(1, 2 * page - 10), 11) == nullptr);
    CHECK(t.resolve(zcrx::encode_off(1, 3 * page), 1) == nullptr);
    CHECK(t.resolve(zcrx::encode_off(2, 0), 1) == nullptr);      // no such area
    CHECK(t.resolve(zcrx::encode_off(0xffff, 0), 1) == nullptr); // far beyond the table
}

TEST_CASE("an area table takes each id once, and only where room was made", "[buffer][areas]") {
    Area a(1);
    Area b(1);
    zcrx::AreaTable t;
    t.reserve(2);
    REQUIRE(t.add(1, a.bytes()));
    CHECK_FALSE(t.add(1, b.bytes())); // taken
    CHECK_FALSE(t.add(0, {}));        // empty
    CHECK(t.size() == 1);
    CHECK(t.resolve(zcrx::encode_off(1, 0), 1) == a.mem.data());
    // an id far past the room reserve() made is refused, not allocated for
    CHECK_FALSE(t.add(1000, b.bytes()));
    CHECK(t.resolve(zcrx::encode_off(1000, 0), 1) == nullptr);
    CHECK(t.size() == 1);
}

TEST_CASE("a queue hands out buffers of an added area from its own mapping", "[buffer][areas]") {
    KernelSide k(16);
    Area first(4);
    Area added(2);
    const RefillQueue::Owner q =
        RefillQueue::create(k.ring(), first.bytes(), zcrx::area_token(0), 1, 4);
    q->reserve(2, 2);
    REQUIRE(q->add_area(added.bytes(), zcrx::area_token(1)));
    CHECK(q->areas().size() == 2);

    BufferHandle h = q->adopt(zcrx::encode_off(1, page + 5), 100);
    REQUIRE(h);
    CHECK(h.data().data() == added.mem.data() + page + 5);
    CHECK(h.data()[0] == added.mem[page + 5]);
    BufferHandle h0 = q->adopt(zcrx::encode_off(0, page + 5), 100);
    REQUIRE(h0);
    CHECK(h0.data().data() == first.mem.data() + page + 5);
    h.reset();
    h0.reset();
    // each goes back under the offset it came with: area id and all
    const std::vector<zcrx_rqe> got = k.consume();
    REQUIRE(got.size() == 2);
    CHECK(got[0].off == zcrx::encode_off(1, page + 5));
    CHECK(got[1].off == zcrx::encode_off(0, page + 5));
}

TEST_CASE("a queue rejects a chunk outside an added area, and is given it back",
          "[buffer][areas]") {
    KernelSide k(16);
    Area first(4);
    Area added(2);
    const RefillQueue::Owner q =
        RefillQueue::create(k.ring(), first.bytes(), zcrx::area_token(0), 1, 4);
    q->reserve(2, 2);
    REQUIRE(q->add_area(added.bytes(), zcrx::area_token(1)));
    // fits the first area, not the (smaller) added one
    CHECK_FALSE(q->adopt(zcrx::encode_off(1, 3 * page), 10));
    // an area the queue was never told about
    CHECK_FALSE(q->adopt(zcrx::encode_off(2, 0), 10));
    CHECK(q->outstanding() == 0);
    const std::vector<zcrx_rqe> got = k.consume();
    REQUIRE(got.size() == 2);
    CHECK(got[0].off == zcrx::encode_off(1, 3 * page));
}

TEST_CASE("a queue refuses an area whose id it has, or made no room for", "[buffer][areas]") {
    KernelSide k(16);
    Area first(4);
    Area added(2);
    const RefillQueue::Owner q =
        RefillQueue::create(k.ring(), first.bytes(), zcrx::area_token(0), 1, 4);
    CHECK_FALSE(q->add_area(added.bytes(), zcrx::area_token(0))); // the first's id
    q->reserve(2, 2);
    CHECK(q->add_area(added.bytes(), zcrx::area_token(1)));
    CHECK_FALSE(q->add_area(added.bytes(), zcrx::area_token(1)));
    CHECK(q->areas().size() == 2);
}
