// zcrx-fuzz charge: every ring the fuzzer closed gave its memlock charge
// back.
//
// Without CAP_IPC_LOCK, an area and its refill region are charged to the
// user's locked memory, up to RLIMIT_MEMLOCK, from registration until the
// kernel lets go of the last buffer. Run after the other modes, as the same
// user under the same limit, this registers an area that fits only if
// nothing else is charged: the limit less the one page of a small refill
// ring. One page more must fail with ENOMEM, or the limit was never applied
// and the first answer proves nothing.
//
// A charge comes back when the last buffer does, which may be after the
// ring's close returned (a pool still drains): the fitting registration is
// tried again on ENOMEM until --seconds (default 20) have passed.
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "common.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/ring.hpp"

namespace fuzz {

namespace {

constexpr std::uint32_t small_ring = 64; // its region is one page

// Registers an area of size bytes on the queue; 0 or the positive errno
// (said on stdout unless it is ENOMEM and quiet). The ring closes on
// return. region_bytes gets the region's size.
int register_area(const Settings &s, std::uint64_t size, std::uint64_t &region_bytes,
                  bool quiet = false) {
    zcrx::Ring ring = new_ring();
    zcrx::Result<std::reference_wrapper<zcrx::Ifq>> ifq =
        ring.register_ifq(queue_config(s, small_ring, size));
    if (!ifq) {
        if (!quiet || ifq.error().err != ENOMEM)
            std::printf("charge: %llu kB area: %s\n", static_cast<unsigned long long>(size >> 10),
                        ifq.error().message().c_str());
        return ifq.error().err;
    }
    region_bytes = ifq->get().region_bytes();
    std::printf("charge: %llu kB area and a %llu kB region registered\n",
                static_cast<unsigned long long>(size >> 10),
                static_cast<unsigned long long>(region_bytes >> 10));
    return 0;
}

} // namespace

int run_charge(const Settings &s) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
        throw std::runtime_error("getrlimit(RLIMIT_MEMLOCK): " + errno_string(errno));
    if (rl.rlim_cur == RLIM_INFINITY)
        throw std::runtime_error("RLIMIT_MEMLOCK is unlimited: run under a limit "
                                 "(prlimit --memlock=BYTES) and without CAP_IPC_LOCK");
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t limit = rl.rlim_cur / page * page;
    if (limit < 2 * page)
        throw std::runtime_error("RLIMIT_MEMLOCK below two pages");
    std::printf("charge: RLIMIT_MEMLOCK %llu kB\n", static_cast<unsigned long long>(limit >> 10));

    std::uint64_t region = 0;
    const int over = register_area(s, limit, region);
    if (over != ENOMEM) {
        std::printf("charge: an area of the whole limit plus its region was %s, not ENOMEM: "
                    "run without CAP_IPC_LOCK\n",
                    over == 0 ? "accepted" : errno_string(over).c_str());
        return 1;
    }
    const Clock::time_point give_up =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(s.seconds > 0 ? s.seconds : 20));
    unsigned tries = 1;
    int fits = register_area(s, limit - page, region, true);
    while (fits == ENOMEM && Clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ++tries;
        fits = register_area(s, limit - page, region, Clock::now() < give_up);
    }
    if (tries > 1)
        std::printf("charge: the charge came back after %u tries\n", tries);
    if (fits != 0) {
        std::printf("charge: the limit less one page did not fit: something is still charged\n");
        return 1;
    }
    if (region != page) {
        std::printf("charge: the region of a %u-entry ring took %llu bytes, not one page\n",
                    small_ring, static_cast<unsigned long long>(region));
        return 1;
    }
    return 0;
}

} // namespace fuzz
