#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <numeric>
#include <random>
#include <thread>
#include <type_traits>
#include <vector>

#include "zcrx/refill_ring.hpp"

using zcrx::RefillRing;
using zcrx::uapi::zcrx_rqe;
using Offs = std::vector<std::uint64_t>;

namespace {

constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();

// The shared memory of one refill ring plus the kernel's consumer side, done
// the way the kernel does it: acquire-load tail, read entries from a private
// head, release-store head once at the end.
struct SharedRing {
    explicit SharedRing(std::uint32_t entries, std::uint32_t start = 0)
        : head(start), tail(start), rqes(entries, poison) {}

    RefillRing producer() { return RefillRing(&head, &tail, rqes.data(), entries()); }

    std::uint32_t entries() const { return static_cast<std::uint32_t>(rqes.size()); }

    std::vector<zcrx_rqe> consume(std::uint32_t max = u32_max) {
        std::vector<zcrx_rqe> out;
        const std::uint32_t mask = entries() - 1;
        const std::uint32_t t =
            std::atomic_ref<std::uint32_t>(tail).load(std::memory_order_acquire);
        std::uint32_t h = head;
        while (h != t && out.size() < max) {
            out.push_back(rqes[h & mask]);
            ++h;
        }
        std::atomic_ref<std::uint32_t>(head).store(h, std::memory_order_release);
        return out;
    }

    static std::vector<std::uint64_t> offs(const std::vector<zcrx_rqe> &v) {
        std::vector<std::uint64_t> out;
        for (const zcrx_rqe &e : v)
            out.push_back(e.off);
        return out;
    }

    static constexpr zcrx_rqe poison{~std::uint64_t{0}, u32_max, u32_max};

    alignas(64) std::uint32_t head;
    alignas(64) std::uint32_t tail;
    std::vector<zcrx_rqe> rqes;
};

} // namespace

TEST_CASE("valid_entries accepts only powers of two", "[refill]") {
    CHECK_FALSE(RefillRing::valid_entries(0));
    CHECK(RefillRing::valid_entries(1));
    CHECK(RefillRing::valid_entries(32768));
    CHECK(RefillRing::valid_entries(1U << 31));
    CHECK_FALSE(RefillRing::valid_entries(3));
    CHECK_FALSE(RefillRing::valid_entries(4097));
}

TEST_CASE("a fresh ring is empty", "[refill]") {
    SharedRing shm(16);
    RefillRing rq = shm.producer();
    CHECK(rq.entries() == 16);
    CHECK(rq.space() == 16);
    CHECK(rq.pending() == 0);
    CHECK(rq.publish() == 0);
    CHECK(rq.stats().pushes == 0);
    CHECK(rq.stats().publishes == 0);
    CHECK(shm.tail == 0);
}

TEST_CASE("push writes at tail & mask and the kernel sees nothing until publish", "[refill]") {
    SharedRing shm(8);
    RefillRing rq = shm.producer();

    REQUIRE(rq.push(0x1000, 100));
    REQUIRE(rq.push(0x2000, 200));
    REQUIRE(rq.push(0x3000, 300));

    CHECK(rq.pending() == 3);
    CHECK(rq.space() == 5);
    CHECK(shm.tail == 0); // not published
    CHECK(shm.consume().empty());
    CHECK(shm.rqes[0].off == 0x1000);
    CHECK(shm.rqes[2].len == 300);
    CHECK(shm.rqes[2].pad == 0); // poison overwritten
    CHECK(shm.rqes[3].off == SharedRing::poison.off);

    CHECK(rq.publish() == 3);
    CHECK(shm.tail == 3);
    CHECK(rq.pending() == 0);

    const auto got = shm.consume();
    REQUIRE(got.size() == 3);
    CHECK(got[0].off == 0x1000);
    CHECK(got[1].off == 0x2000);
    CHECK(got[2].off == 0x3000);
    CHECK(got[1].len == 200);
    CHECK(rq.space() == 8);
}

TEST_CASE("unread counts published entries the kernel has not consumed", "[refill]") {
    SharedRing shm(8, u32_max - 1); // the counters wrap in the middle
    RefillRing rq = shm.producer();

    REQUIRE(rq.push(0x1000, 1));
    REQUIRE(rq.push(0x2000, 1));
    REQUIRE(rq.push(0x3000, 1));
    CHECK(rq.unread() == 0); // pushed, not published
    rq.publish();
    CHECK(rq.unread() == 3);
    CHECK(shm.consume(2).size() == 2);
    CHECK(rq.unread() == 1);
    CHECK(shm.consume().size() == 1);
    CHECK(rq.unread() == 0);
}

TEST_CASE("a full ring rejects pushes until the kernel consumes", "[refill]") {
    SharedRing shm(4);
    RefillRing rq = shm.producer();

    CHECK((rq.push(0, 1) && rq.push(1, 1) && rq.push(2, 1) && rq.push(3, 1)));
    CHECK(rq.space() == 0);
    CHECK_FALSE(rq.push(99, 1));
    CHECK(rq.stats().full == 1);
    CHECK(rq.stats().pushes == 4);

    // Unpublished entries still occupy the ring: the kernel cannot free them.
    CHECK(shm.consume().empty());
    CHECK_FALSE(rq.push(99, 1));

    rq.publish();
    CHECK(shm.consume(2).size() == 2);
    CHECK(shm.head == 2);

    // push() notices the kernel's progress without an explicit space() call.
    CHECK(rq.push(4, 1));
    CHECK(rq.push(5, 1));
    CHECK_FALSE(rq.push(6, 1));
    CHECK(rq.stats().full == 3);

    rq.publish();
    CHECK(SharedRing::offs(shm.consume()) == Offs{2, 3, 4, 5});
}

TEST_CASE("one tail store per publish, however large the batch", "[refill]") {
    SharedRing shm(64);
    RefillRing rq = shm.producer();

    std::uint32_t pushed = 0;
    while (pushed < 40 && rq.push(pushed, pushed) && shm.tail == 0)
        ++pushed;
    REQUIRE(pushed == 40);
    CHECK(shm.tail == 0);
    CHECK(rq.publish() == 40);
    CHECK(rq.publish() == 0); // nothing new: no store
    CHECK(shm.tail == 40);

    REQUIRE(rq.push(40, 40));
    CHECK(rq.publish() == 1);

    CHECK(rq.stats().pushes == 41);
    CHECK(rq.stats().publishes == 2);
    CHECK(shm.consume().size() == 41);
}

TEST_CASE("head and tail wrap around UINT32_MAX", "[refill]") {
    const std::uint32_t start = u32_max - 5;
    SharedRing shm(8, start);
    RefillRing rq = shm.producer();
    CHECK(rq.space() == 8);

    // Fill across the wrap: counters u32_max-5 .. 1 land in slots (n & 7).
    std::uint64_t filled = 0;
    while (filled < 8 && rq.push(filled, 0))
        ++filled;
    REQUIRE(filled == 8);
    CHECK_FALSE(rq.push(8, 0));
    rq.publish();
    CHECK(shm.tail == 2); // start + 8 mod 2^32

    // Counter start + i lives in slot (start + i) & 7 = (2 + i) & 7.
    CHECK(SharedRing::offs(shm.rqes) == Offs{6, 7, 0, 1, 2, 3, 4, 5});

    // Kernel consumes up to just before the wrap; 3 entries still in flight
    // with head = u32_max - 1 and tail = 2.
    CHECK(shm.consume(5).size() == 5);
    CHECK(shm.head == u32_max);
    CHECK(rq.space() == 5);
    CHECK(shm.consume(1).size() == 1);
    CHECK(shm.head == 0);
    CHECK(rq.space() == 6);

    // Keep cycling well past the wrap and check FIFO order throughout.
    std::uint64_t next_push = 8;
    Offs seen;
    for (int round = 0; round < 100; ++round) {
        while (rq.push(next_push, 0))
            ++next_push;
        rq.publish();
        for (const zcrx_rqe &e : shm.consume(3))
            seen.push_back(e.off);
    }
    for (const zcrx_rqe &e : shm.consume())
        seen.push_back(e.off);
    Offs expected(next_push - 6);
    std::iota(expected.begin(), expected.end(), 6);
    CHECK(seen == expected);
    CHECK(rq.space() == 8);
}

TEST_CASE("a view picks up the ring's current state", "[refill]") {
    SharedRing shm(8, 1000);
    shm.head = 998; // kernel still owns 2 published entries
    RefillRing rq = shm.producer();
    CHECK(rq.space() == 6);
    CHECK(rq.pending() == 0);
    REQUIRE(rq.push(7, 7));
    rq.publish();
    CHECK(shm.tail == 1001);
    CHECK(shm.rqes[1000 & 7].off == 7);
}

TEST_CASE("a head that overtakes the tail reads as a full ring", "[refill]") {
    SharedRing shm(8, 100);
    RefillRing rq = shm.producer();
    shm.head = 105; // broken peer: consumed entries that were never produced
    CHECK(rq.space() == 0);
    CHECK_FALSE(rq.push(1, 1));
}

TEST_CASE("random push/publish/consume matches a FIFO model", "[refill]") {
    std::mt19937 rng(12345);
    for (const std::uint32_t start : {0U, u32_max - 100}) {
        SharedRing shm(32, start);
        RefillRing rq = shm.producer();
        std::deque<std::uint64_t> in_ring; // published or pending, oldest first
        std::uint32_t unpublished = 0;
        std::uint64_t seq = 0;
        std::uint64_t publishes = 0;

        // One TAP line per run, not per step: remember the first divergence.
        int failed_step = -1;
        const char *failed_check = "";
        int step = 0;
        const auto expect = [&](bool ok, const char *what) {
            if (!ok && failed_step < 0) {
                failed_step = step;
                failed_check = what;
            }
        };

        for (; step < 20000 && failed_step < 0; ++step) {
            switch (rng() % 3) {
            case 0: {
                const bool ok = rq.push(seq, static_cast<std::uint32_t>(seq));
                expect(ok == (in_ring.size() < 32), "push fails exactly when full");
                if (ok) {
                    in_ring.push_back(seq++);
                    ++unpublished;
                }
                break;
            }
            case 1:
                expect(rq.publish() == unpublished, "publish returns the batch size");
                publishes += unpublished != 0;
                unpublished = 0;
                break;
            default: {
                const auto published = in_ring.size() - unpublished;
                const std::size_t want = rng() % 8;
                const auto got = shm.consume(static_cast<std::uint32_t>(want));
                expect(got.size() == std::min(want, published), "kernel sees published only");
                for (const zcrx_rqe &e : got) {
                    expect(!in_ring.empty() && e.off == in_ring.front(), "FIFO order");
                    expect(e.len == static_cast<std::uint32_t>(e.off) && e.pad == 0,
                           "entry contents");
                    if (!in_ring.empty())
                        in_ring.pop_front();
                }
                break;
            }
            }
            expect(rq.pending() == unpublished, "pending()");
            expect(rq.space() == 32 - in_ring.size(), "space()");
        }
        INFO("start " << start << ": first failure at step " << failed_step << ": "
                      << failed_check);
        CHECK(failed_step == -1);
        CHECK(rq.stats().pushes == seq);
        CHECK(rq.stats().publishes == publishes);
    }
}

TEST_CASE("a concurrent consumer sees every entry once, in order", "[refill][thread]") {
    constexpr std::uint64_t total = 200000;
    SharedRing shm(64, u32_max - 1000);
    RefillRing rq = shm.producer();

    // A broken ring must fail the test, not hang it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const auto expired = [&] { return std::chrono::steady_clock::now() > deadline; };

    std::uint64_t consumed = 0;
    std::uint64_t errors = 0;
    std::thread kernel([&] {
        while (consumed < total && !expired()) {
            const auto got = shm.consume(16);
            for (const zcrx_rqe &e : got) {
                errors += e.off != consumed || e.len != static_cast<std::uint32_t>(consumed * 3);
                ++consumed;
            }
            if (got.empty())
                std::this_thread::yield();
        }
    });

    std::uint64_t seq = 0;
    while (seq < total && !expired()) {
        while (seq < total && rq.push(seq, static_cast<std::uint32_t>(seq * 3)))
            ++seq;
        if (rq.publish() == 0)
            std::this_thread::yield();
    }
    kernel.join();

    CHECK(consumed == total);
    CHECK(errors == 0);
    CHECK(rq.stats().pushes == total);
    CHECK(rq.space() == 64);
}

static_assert(!std::is_copy_constructible_v<RefillRing>);
static_assert(std::is_nothrow_move_constructible_v<RefillRing>);
