// zcrx-fuzz lifecycle: rings closed and owners killed under a stream.
//
// Each cycle takes a new connection from zcrx-send (the shell starts a new
// sender whenever one ends), registers the queue again at once (after a
// close or a kill the kernel waits for the old ring to let go: never
// EEXIST) and then either receives for a random number of completions and
// closes its ring with the request armed and buffers held, or forks a child
// that registers and receives and is SIGKILLed at a random moment; then
// the connection is closed (its data in the dead ring's area cannot be
// read by another ring). The shell restarts the queue meanwhile. Every
// byte any receiver got must be the stream's, from offset 0.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/pattern.hpp"
#include "zcrx/recv.hpp"

namespace fuzz {

namespace {

// What a receiver saw, in memory a killed child shares with its parent.
struct Progress {
    std::atomic<std::uint64_t> bytes{0};  // verified
    std::atomic<std::uint64_t> offset{0}; // stream offset after them
    std::atomic<std::uint64_t> chunks{0};
    std::atomic<int> register_err{-1}; // -1 until it tried
    std::atomic<bool> mismatch{false};
    std::atomic<int> end_err{0}; // the errno that ended its request, if any
};

class Shared {
public:
    Shared() {
        void *p = ::mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::runtime_error("map shared memory: " + errno_string(errno));
        p_ = new (p) Progress;
    }
    Shared(const Shared &) = delete;
    Shared &operator=(const Shared &) = delete;
    ~Shared() { ::munmap(p_, sizeof(Progress)); }
    Progress &operator*() const noexcept { return *p_; }
    Progress *operator->() const noexcept { return p_; }

private:
    Progress *p_;
};

// Registers the queue and receives from sock until max_chunks (0: no limit)
// or the stream ends; every byte is checked.
void receive(const Settings &s, int sock, std::uint64_t max_chunks, Progress &p) {
    zcrx::Result<zcrx::Ring> ring = zcrx::Ring::create();
    if (!ring) {
        p.register_err = ring.error().err;
        return;
    }
    zcrx::Result<std::reference_wrapper<zcrx::Ifq>> ifq =
        ring->register_ifq(queue_config(s, 512, 8 << 20));
    p.register_err = ifq ? 0 : ifq.error().err;
    if (!ifq)
        return;
    zcrx::Receive rx(*ifq, sock, 7);
    zcrx::pattern::Verifier verifier;
    std::vector<zcrx::BufferHandle> held;
    held.reserve(64);
    if (!rx.arm(*ring))
        return;
    while (!rx.done() && (max_chunks == 0 || p.chunks < max_chunks) && !p.mismatch) {
        if (!ring->submit_and_wait(1))
            break;
        ring->for_each_cqe([&](const io_uring_cqe &cqe) {
            zcrx::Receive::Event ev = rx.on_cqe(cqe);
            if (ev.kind != zcrx::CqeKind::data)
                return;
            if (!verifier.update(ev.buffer.data()))
                p.mismatch = true;
            p.bytes += ev.buffer.size();
            p.offset = verifier.offset();
            ++p.chunks;
            // hold a few: the ring goes with them
            if (held.size() < held.capacity() && p.chunks % 3 == 0)
                held.push_back(std::move(ev.buffer));
        });
        if (rx.needs_arm() && !rx.arm(*ring))
            break;
    }
    if (rx.end_error())
        p.end_err = *rx.end_error();
    // the handles go back into the ring (some unpublished), then the ring
    // closes with its request still armed
    held.clear();
}

} // namespace

int run_lifecycle(const Settings &s) {
    std::mt19937_64 rng(s.seed);
    zcrx::Result<zcrx::Fd> listener = listen_on(s.port);
    if (!listener)
        throw std::runtime_error(listener.error().message());
    Tally tally;
    Shared shared;
    std::uint64_t offset = 0, verified = 0, lost_cycles = 0;
    bool ok = true;
    Budget budget(s);
    std::uint64_t n = 0;
    for (; budget.more(n) && ok; ++n) {
        Progress &p = *shared;
        p.bytes = 0;
        p.chunks = 0;
        p.register_err = -1;
        p.mismatch = false;
        p.end_err = 0;
        zcrx::Result<zcrx::Fd> sock = accept_from(listener->get(), std::chrono::seconds(30));
        if (!sock) {
            tally.add("connection", "accept " + errno_string(sock.error().err), false);
            ok = false;
            continue;
        }
        std::string kind;
        const Clock::time_point began = Clock::now();
        // both, whatever the budget allows; the moment is random
        if (n % 2 == 0) {
            kind = "ring closed";
            receive(s, sock->get(), pick<std::uint64_t>(rng, 1, 300), p);
        } else {
            kind = "owner killed";
            std::fflush(stdout);
            const pid_t pid = ::fork();
            if (pid < 0)
                throw std::runtime_error("fork: " + errno_string(errno));
            if (pid == 0) {
                receive(s, sock->get(), 0, p);
                ::_exit(p.mismatch ? 1 : 0);
            }
            // kill it at a random moment once it is receiving (or gave up)
            const auto wait = std::chrono::milliseconds(pick(rng, 0, 300));
            const Clock::time_point end = Clock::now() + std::chrono::seconds(30);
            while (p.chunks == 0 && p.register_err <= 0 && Clock::now() < end &&
                   ::waitpid(pid, nullptr, WNOHANG) == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            std::this_thread::sleep_for(wait);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        std::printf("lifecycle: cycle %llu: %s after %llu chunks, %.1f s\n",
                    static_cast<unsigned long long>(n), kind.c_str(),
                    static_cast<unsigned long long>(p.chunks.load()),
                    std::chrono::duration<double>(Clock::now() - began).count());
        const int err = p.register_err;
        if (err != 0) {
            tally.add(kind,
                      "register " + (err < 0 ? std::string("never tried") : errno_string(err)),
                      false);
            ok = false;
            continue;
        }
        if (p.mismatch) {
            tally.add(kind, "data mismatch", false);
            std::printf("lifecycle: cycle %llu: data does not verify after stream offset %llu\n",
                        static_cast<unsigned long long>(n),
                        static_cast<unsigned long long>(offset));
            ok = false;
            continue;
        }
        if (p.end_err != 0)
            std::printf("lifecycle: cycle %llu: the request ended with %s\n",
                        static_cast<unsigned long long>(n), errno_string(p.end_err).c_str());
        if (p.chunks == 0) {
            tally.add(kind, "registered, no data", true);
            ++lost_cycles;
            continue;
        }
        tally.add(kind, "registered, data verified", p.end_err == 0);
        verified += p.bytes;
        offset = std::max<std::uint64_t>(offset, p.offset);
    }
    std::printf("lifecycle: seed %llu, %llu cycles, %llu bytes verified, the longest stream %llu "
                "bytes (%llu cycles without data)\n",
                static_cast<unsigned long long>(s.seed), static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(verified), static_cast<unsigned long long>(offset),
                static_cast<unsigned long long>(lost_cycles));
    const std::uint64_t bad = tally.print("lifecycle");
    return ok && bad == 0 && verified > 0 ? 0 : 1;
}

} // namespace fuzz
