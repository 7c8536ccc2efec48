// Shared parts of zcrx-fuzz: settings, answer tallies, stream resync, and
// the small system helpers every mode needs.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "zcrx/fd.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/result.hpp"
#include "zcrx/ring.hpp"

namespace fuzz {

using Clock = std::chrono::steady_clock;

struct Settings {
    std::string ifname;
    std::uint32_t if_index = 0;
    std::uint32_t queue = 0;
    std::uint16_t port = 0;
    std::uint64_t seed = 1;
    std::uint64_t count = 0; // inputs to try (0: until --seconds)
    double seconds = 0;      // time budget (0: until --count)
    std::uint64_t area_size = std::uint64_t{64} << 20;
    std::uint32_t rq_entries = 1024;
    std::uint64_t chaos = 0; // refill: entries of the chaos phase
};

// Stops a mode at --count inputs or after --seconds, whichever is first.
class Budget {
public:
    explicit Budget(const Settings &s) : count_(s.count), seconds_(s.seconds) {}
    [[nodiscard]] bool more(std::uint64_t done) const {
        if (count_ != 0 && done >= count_)
            return false;
        if (seconds_ > 0 &&
            std::chrono::duration<double>(Clock::now() - start_).count() >= seconds_)
            return false;
        return count_ != 0 || seconds_ > 0;
    }

private:
    std::uint64_t count_;
    double seconds_;
    Clock::time_point start_ = Clock::now();
};

// Answers per input kind: "reg: 20000 tried: EINVAL 15123, EFAULT 3001, ...".
class Tally {
public:
    void add(const std::string &kind, const std::string &answer, bool expected);
    // One line per kind; returns the number of unexpected answers.
    std::uint64_t print(std::string_view mode) const;
    [[nodiscard]] std::uint64_t unexpected() const noexcept { return unexpected_; }

private:
    std::map<std::string, std::map<std::string, std::uint64_t>> answers_;
    std::map<std::string, std::uint64_t> tried_;
    std::uint64_t unexpected_ = 0;
};

// The fuzzed queue with an area of area_size bytes and a refill ring of
// rq_entries.
[[nodiscard]] zcrx::IfqConfig queue_config(const Settings &s, std::uint32_t rq_entries,
                                           std::uint64_t area_size);
// A new ring, and the queue registered on it; both throw what failed.
[[nodiscard]] zcrx::Ring new_ring();
[[nodiscard]] zcrx::Ifq &register_queue(zcrx::Ring &ring, const zcrx::IfqConfig &config);

// "EINVAL" for 22, "0" for 0, "E?123" if the C library has no name.
[[nodiscard]] std::string errno_string(int err);
// err is one of errs.
[[nodiscard]] bool one_of(int err, std::initializer_list<int> errs) noexcept;

// A TCP listener on the port (any address); says so on stdout, where the
// shell waits for it.
[[nodiscard]] zcrx::Result<zcrx::Fd> listen_on(std::uint16_t port);
// The next connection on listener, waiting at most timeout.
[[nodiscard]] zcrx::Result<zcrx::Fd> accept_from(int listener, std::chrono::milliseconds timeout);
// One connection on the port; the listener is closed once a peer is in.
[[nodiscard]] zcrx::Result<zcrx::Fd> accept_one(std::uint16_t port,
                                                std::chrono::milliseconds timeout);

// A connected loopback TCP pair in this namespace (server end, client end).
[[nodiscard]] zcrx::Result<std::pair<zcrx::Fd, zcrx::Fd>> loopback_pair();

// This process's pinned memory (VmPin in /proc/self/status), in kB.
[[nodiscard]] std::optional<std::uint64_t> vm_pin_kb();
// Waits (at most timeout) until VmPin is 0: every area and region charge of
// the closed rings is back. Prints the outcome; false if it never got there.
bool pins_settle(std::string_view mode, std::chrono::seconds timeout);

// A uniform integer in [lo, hi].
template <typename T>
[[nodiscard]] T pick(std::mt19937_64 &rng, T lo, T hi) {
    return static_cast<T>(std::uniform_int_distribution<std::uint64_t>(
        static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi))(rng));
}
// True with probability 1/n.
[[nodiscard]] inline bool one_in(std::mt19937_64 &rng, std::uint64_t n) {
    return n <= 1 || rng() % n == 0;
}

int run_refill(const Settings &s);
int run_sqe(const Settings &s);
int run_reg(const Settings &s);
int run_lifecycle(const Settings &s);
int run_charge(const Settings &s);
int run_query(const Settings &s);

} // namespace fuzz
