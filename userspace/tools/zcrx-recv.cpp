// zcrx-recv: accept TCP connections and receive them with io_uring zero-copy
// receive, optionally verifying zcrx-send's pattern or computing a checksum.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zcrx/area.hpp"
#include "zcrx/buffer.hpp"
#include "zcrx/cksum.hpp"
#include "zcrx/cli.hpp"
#include "zcrx/error.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/fdinfo.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/json.hpp"
#include "zcrx/net.hpp"
#include "zcrx/nic_setup.hpp"
#include "zcrx/pattern.hpp"
#include "zcrx/progress.hpp"
#include "zcrx/query.hpp"
#include "zcrx/recv.hpp"
#include "zcrx/recv_tool.hpp"
#include "zcrx/result.hpp"
#include "zcrx/ring.hpp"

namespace {

namespace cli = zcrx::cli;
namespace rt = zcrx::recv_tool;
using zcrx::Error;
using zcrx::Fd;
using zcrx::Result;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t default_area_size = std::uint64_t{32} << 20;
// --hold: how long without data before the slow consumer gives back all it
// holds (see Receiver::wait()).
constexpr std::chrono::milliseconds hold_idle{250};
constexpr std::uint64_t default_rq_entries = 4096;
constexpr std::uint64_t max_connections = 1024;
// user_data of the accept SQE of the queue (lane) i: accept_tag - i
constexpr std::uint64_t accept_tag = ~std::uint64_t{0};
// the most queues one ring receives on
constexpr std::size_t max_queues = 16;
// user_data of the event CQEs of the queue (lane) i: event_tag - i
constexpr std::uint64_t event_tag = accept_tag - max_queues;
// user_data of the read of the signal descriptor (--setup)
constexpr std::uint64_t signal_tag = event_tag - max_queues;
// the events asked for where the kernel has them
constexpr std::uint32_t wanted_events =
    zcrx::event_bit(zcrx::uapi::event_alloc_fail) | zcrx::event_bit(zcrx::uapi::event_copy);
constexpr std::size_t event_types = 2; // their numbers are below this
// An event type is armed again this long after it fired, not at once: a
// queue starved of buffers fails an allocation on every NAPI poll, and
// waking the receiver for each one costs more than it tells (on netdevsim
// it even breaks up the coalescing of segments into large buffers).
constexpr std::chrono::milliseconds event_rearm_pause{250};

constexpr cli::Option options[] = {
    {"ifname", "DEV[,DEV...]", "the NIC(s) receiving (required but for --nodev)"},
    {"queue", "Q[,Q...]", "RX queue(s) to register (required but for --nodev)"},
    {"nodev", "", "no NIC: any TCP socket, all copied (see above)"},
    {"area-size", "SIZE", "memory area received data lands in (default 32M)"},
    {"rq-entries", "N", "refill ring entries, a power of two (default 4096, at most 32768)"},
    {"region", "user|kernel", "refill ring in our memory or in the kernel's (default user)"},
    {"huge-pages", "", "back the area with huge pages (MAP_HUGETLB)"},
    {"rx-buf-len", "SIZE",
     "bytes per receive buffer, a power of two (default: a page; larger "
     "needs --huge-pages and a NIC that posts them)"},
    {"area", "memory|dmabuf", "the area: our memory, or a dma-buf (udmabuf; see above)"},
    {"shared-ring", "", "receive on a second ring that imports the queue (see above)"},
    {"hold", "N", "hold back the N newest buffers: a slow consumer (default 0, see above)"},
    {"connections", "N", "connections to accept, received concurrently (default 1)"},
    {"verify", "", "check every stream against zcrx-send's pattern"},
    {"checksum", "", "print each stream's POSIX cksum (compare with: cksum < FILE)"},
    {"expect-bytes", "SIZE", "every connection must carry exactly SIZE bytes"},
    {"grow", "SIZE", "add an area of SIZE (default: --area-size) when buffers run out", 0, true},
    {"grow-max", "N", "with --grow: add at most N areas per queue (default 16)"},
    {"setup", "", "set each NIC up for its queue and port, and undo it on exit (see above)"},
    {"interval", "SECS", "print progress every SECS seconds (0.1 to 3600) while receiving"},
    {"json", "", "print the results as one JSON object on stdout (see above)"},
    {"help", "", "show this help and exit", 'h'},
};

std::string help_text() {
    std::string s =
        "Usage: zcrx-recv --ifname DEV --queue Q [OPTIONS] ADDRESS PORT\n"
        "       zcrx-recv --ifname DEV[,DEV...] --queue Q,Q... [OPTIONS] ADDRESS PORT,PORT...\n"
        "       zcrx-recv --nodev [OPTIONS] ADDRESS PORT\n"
        "\n"
        "Register RX queue Q of DEV for io_uring zero-copy receive, listen on ADDRESS\n"
        "PORT (IPv4 or IPv6; 0.0.0.0 or :: for any), accept --connections connections\n"
        "and receive each with one multishot RECV_ZC request until the peer closes. All\n"
        "connections are received concurrently on one ring. Data steered to queue Q\n"
        "arrives without a copy; data of other queues is copied into the area by the\n"
        "kernel (copy fallback): zcrx-nic apply sets up the steering.\n"
        "\n"
        "Each connection is its own stream: with --verify, byte n of every stream must\n"
        "be zcrx-send's pattern byte at offset n. Prints bytes, seconds, throughput,\n"
        "completions (cqes) and re-arms (requests that ran out of buffers or completion\n"
        "space and were submitted again) per connection and in total. Time runs from\n"
        "the accept to the end of the stream.\n"
        "\n"
        "--hold N plays a consumer that is slow to give buffers back: the N newest\n"
        "buffers (of all connections) stay out of the kernel's reach, and each one\n"
        "received beyond them sends the oldest back. Held buffers are verified (or\n"
        "checksummed) when they are let go, so a buffer the kernel reused while it was\n"
        "held shows up as a mismatch. N must be below the area's buffer count (area\n"
        "size / page size: 512 for 2M of 4K pages). Close to it, the kernel runs\n"
        "short: the NIC drops what it has no buffer for (the sender retransmits), and\n"
        "a receive that finds no buffer to copy into ends with ENOMEM; then every\n"
        "held buffer goes back before the receive is re-armed. Held buffers also all\n"
        "go back after " +
        std::to_string(hold_idle.count()) +
        " ms without data: the few the consumer leaves the kernel\n"
        "can all be stuck in TCP's out-of-order queue, behind a lost segment that\n"
        "has no buffer to land in.\n"
        "\n"
        "--area dmabuf receives into a dma-buf (a udmabuf over a memfd, as devmem's\n"
        "ncdevmem uses) instead of pinned memory. The kernel cannot copy into a\n"
        "dma-buf: a flow not steered to queue Q fails with EFAULT.\n"
        "\n"
        "With several queues (a comma-separated --queue, one PORT each, and one device\n"
        "or one per queue), each queue gets its own interface queue and area on the one\n"
        "ring; connections on the i-th port are received through the i-th queue, so\n"
        "steer that port to it. --connections applies to each port.\n"
        "\n"
        "--shared-ring registers the queue on one ring, exports it (ZCRX_CTRL_EXPORT)\n"
        "and receives on a second ring that imports it (ZCRX_REG_IMPORT), as a program\n"
        "with one ring per thread would; the first ring stays open throughout.\n"
        "\n"
        "--nodev registers a device-less interface queue (ZCRX_REG_NODEV, Linux 7.1)\n"
        "instead: no NIC set-up, no --ifname or --queue, one PORT, any TCP socket\n"
        "(loopback, veth). The kernel copies every byte into the area (its zero-copy\n"
        "count stays 0); completions and the refill ring work as with a device. The\n"
        "area is memory, not a dma-buf; --rx-buf-len needs no huge pages.\n"
        "\n"
        "Where the kernel has zcrx events (Linux 7.2), zcrx-recv asks to be told when\n"
        "data is copied and when buffers run out (again 250 ms after each time), and\n"
        "has the kernel count its copies. It reports when the copy fallback first\n"
        "kicked in (seconds into the transfer), why as far as the kernel's counts tell,\n"
        "the copies counted and how often buffers ran out. --grow (Linux 7.3,\n"
        "ZCRX_CTRL_ADD_AREA) adds an area of SIZE (default: the first area's size, a\n"
        "multiple of the buffer size) each time buffers run out, up to --grow-max\n"
        "areas per queue.\n"
        "\n"
        "--setup does what zcrx-nic apply does for each queue and its port first\n"
        "(tcp-data-split on, RSS off the queue, the port steered to it; one queue per\n"
        "device) and undoes it when zcrx-recv exits: after the transfer, on a failure,\n"
        "and on SIGINT or SIGTERM, which then end the receive (exit 3). Its lines go\n"
        "to stderr. Killed outright, it leaves the state file for zcrx-nic undo DEV.\n"
        "\n"
        "--interval SECS prints a line every SECS seconds from the first accept on:\n"
        "the bytes and completions of all connections in that interval and their\n"
        "throughput, as \"[  1.00-  2.00 s] N bytes, X Gbit/s, N cqes\"; the last line\n"
        "covers what came after the last whole interval. With --json each is a JSON\n"
        "object of its own line ({\"version\":1,\"type\":\"interval\",...}), before\n"
        "the line of the results: the output is NDJSON.\n"
        "\n"
        "Options:\n";
    s += cli::option_help(options);
    s += "\n"
         "Registering an RX queue, or a device-less one, needs CAP_NET_ADMIN. Run inside\n"
         "the device's network namespace (ip netns exec NS zcrx-recv ...).\n"
         "\n"
         "Exit status:\n"
         "  0  every connection was received (and verified, if asked)\n"
         "  1  data error: a pattern mismatch, a byte count other than --expect-bytes\n"
         "     (\"received N bytes, expected M\": the peer closed early, or sent more),\n"
         "     or a connection that failed; the message names the connection, the step\n"
         "     and the errno\n"
         "  2  usage error: an unknown option, a missing or malformed value, a value out\n"
         "     of range, or a wrong number of arguments\n"
         "  3  setup error: the interface, the ring, registering the queue, or the\n"
         "     listening socket; the message says what to check\n"
         "  4  a feature is missing: the kernel lacks zcrx (RECV_ZC, DEFER_TASKRUN,\n"
         "     CQE32, for --nodev ZCRX_REG_NODEV, for --grow events and\n"
         "     ZCRX_CTRL_ADD_AREA) or the device cannot host it (EOPNOTSUPP, ENODATA)\n";
    return s;
}

// One queue the ring receives on: its device, the queue, and the port whose
// connections it receives (steered to it by the NIC).
struct Lane {
    std::string ifname;
    std::uint32_t queue = 0;
    std::uint16_t port = 0;
};

struct Settings {
    std::string address;
    std::vector<Lane> lanes; // at least one
    bool nodev = false;      // one lane, without a device (ZCRX_REG_NODEV)
    std::uint64_t area_size = default_area_size;
    std::uint32_t rq_entries = static_cast<std::uint32_t>(default_rq_entries);
    zcrx::RegionKind region = zcrx::RegionKind::user;
    bool huge_pages = false;
    std::uint32_t rx_buf_len = 0; // 0: a page
    zcrx::AreaKind area = zcrx::AreaKind::anonymous;
    bool shared_ring = false; // receive on a ring that imported the ifq
    std::uint64_t hold = 0;   // buffers kept back (a slow consumer)
    std::uint32_t connections = 1;
    bool verify = false;
    bool checksum = false;
    std::optional<std::uint64_t> expect_bytes;
    bool json = false;
    rt::GrowSettings grow;                             // --grow, --grow-max
    std::optional<std::chrono::milliseconds> interval; // --interval
    bool setup = false;                                // --setup: the NIC, undone on exit
};

struct Connection {
    std::size_t lane = 0; // which of Settings::lanes accepted it
    Fd sock;
    std::string peer;
    std::optional<zcrx::Receive> rx;
    Clock::time_point start{};
    Clock::time_point end{};
    zcrx::pattern::Verifier verifier;
    zcrx::PosixCksum cksum;
    int chunk_err = 0;          // first error a CQE reported while the request went on
    bool over = false;          // the receive has ended; the socket is closed
    std::optional<Error> error; // why it failed, if it did
};

// A failed setup step: the message, and the exit status that fits it.
// unsupported: the step failed for want of a kernel feature.
int setup_failure(const Settings &s, const Error &e, bool unsupported = false) {
    zcrx::print_failure("zcrx-recv", e, s.json);
    return unsupported || e.err == EOPNOTSUPP || e.err == ENODATA ? cli::exit_unsupported
                                                                  : cli::exit_runtime;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return b > a ? std::chrono::duration<double>(b - a).count() : 0.0;
}

double gbit_per_s(std::uint64_t bytes, double seconds) {
    return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e9 : 0.0;
}

std::string format_peer(const sockaddr_storage &ss) {
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss.ss_family == AF_INET) {
        const auto *sin = reinterpret_cast<const sockaddr_in *>(&ss);
        ::inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        port = ntohs(sin->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    if (ss.ss_family == AF_INET6) {
        const auto *sin6 = reinterpret_cast<const sockaddr_in6 *>(&ss);
        ::inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        port = ntohs(sin6->sin6_port);
    }
    return "[" + std::string(host) + "]:" + std::to_string(port);
}

// What the receive loop needs of one queue: its ifq, the index the ring
// names it by (its own, or what the ring's import of it returned), and the
// socket listening on its port, with its pending accept.
struct Listener {
    zcrx::Ifq *ifq = nullptr;
    std::uint32_t index = 0;
    Fd fd;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    bool accept_armed = false;
    std::optional<int> accept_res;
    std::uint32_t accepted = 0;
    // its ifq's events, and what --grow did about them
    std::uint32_t rearm = 0; // event bits that fired, to be armed again
    std::array<Clock::time_point, event_types> fired_at{}; // by type, the last time
    bool ran_out = false;                                  // ALLOC_FAIL fired since the last look
    std::uint64_t alloc_fail_events = 0;
    std::uint64_t copy_events = 0;
    std::optional<Clock::time_point> first_copy;
    std::uint64_t areas_added = 0;
};

// Everything the receive loop works on. Set up in order, torn down in reverse:
// connections (and their receives) first, then the ifqs, then the ring.
class Receiver {
public:
    // Receives on ring, each listener's connections through its ifq.
    // event_ring: the ring the ifqs' events come on, if not ring (the one
    // that registered them, when ring imported the queue).
    // signal_fd: a signalfd whose signals end the receive (-1: none), read
    // into siginfo, which must outlive the ring (a read may be in flight).
    Receiver(const Settings &s, zcrx::Ring &ring, std::vector<Listener> listeners,
             zcrx::Ring *event_ring = nullptr, int signal_fd = -1,
             signalfd_siginfo *siginfo = nullptr)
        : s_(s), ring_(ring), event_ring_(event_ring), listeners_(std::move(listeners)),
          backlog_(s.hold), signal_fd_(signal_fd), siginfo_(siginfo) {
        // no reallocation: CQEs are routed by index, accepts write peer
        conns_.reserve(std::size_t{s.connections} * listeners_.size());
    }

    // Runs until every connection has ended. Returns a fatal loop error, if any.
    // Held buffers are consumed and given back at the end either way.
    Result<void> run() {
        Result<void> r = loop();
        drain_backlog();
        flush_all();
        if (ticker_) {
            const Totals t = totals();
            Clock::time_point end = Clock::now();
            if (!conns_.empty()) {
                end = conns_.front().end;
                for (const Connection &c : conns_)
                    end = std::max(end, c.end);
            }
            if (const auto i = ticker_->last(end, t.bytes, t.cqes))
                print_interval(*i);
        }
        return r;
    }

    [[nodiscard]] const std::vector<Connection> &connections() const noexcept { return conns_; }
    // --hold: the most buffers the slow consumer ever kept back at once.
    [[nodiscard]] std::size_t held_peak() const noexcept { return held_peak_; }
    // --hold: how often the consumer caught up after hold_idle without data.
    [[nodiscard]] std::uint64_t idle_drains() const noexcept { return idle_drains_; }
    [[nodiscard]] const std::vector<Listener> &listeners() const noexcept { return listeners_; }
    // The signal that ended the receive, if one did.
    [[nodiscard]] std::optional<int> stopped_by() const noexcept { return stopped_by_; }
    // Why --grow stopped adding areas, if it failed.
    [[nodiscard]] const std::optional<Error> &grow_error() const noexcept { return grow_error_; }
    // When the first connection was accepted, if one was.
    [[nodiscard]] std::optional<Clock::time_point> first_start() const {
        if (conns_.empty())
            return std::nullopt;
        Clock::time_point first = conns_.front().start;
        for (const Connection &c : conns_)
            first = std::min(first, c.start);
        return first;
    }
    // From the first accept to the last end of stream.
    [[nodiscard]] double seconds() const {
        if (conns_.empty())
            return 0.0;
        Clock::time_point first = conns_.front().start;
        Clock::time_point last = first;
        for (const Connection &c : conns_) {
            first = std::min(first, c.start);
            last = std::max(last, c.end);
        }
        return seconds_between(first, last);
    }

private:
    void flush_all() noexcept {
        for (Listener &l : listeners_)
            l.ifq->refill().flush();
    }

    Result<void> loop() {
        for (std::size_t i = 0; i < listeners_.size(); ++i)
            if (Result<void> r = arm_accept(i); !r)
                return r;
        if (Result<void> r = arm_signal(); !r)
            return r;
        const std::size_t total = std::size_t{s_.connections} * listeners_.size();
        while (ended_ < total && !stopped_by_) {
            if (Result<void> r = wait(); !r) // publishes the buffers given back first
                return r;
            if (ring_.for_each_cqe([this](const io_uring_cqe &cqe) { dispatch(cqe); }) != 0)
                last_cqe_ = Clock::now();
            if (event_ring_) // events only: no data arrives there
                event_ring_->for_each_cqe([this](const io_uring_cqe &cqe) { dispatch(cqe); });
            flush_all();
            if (Result<void> r = after_batch(); !r)
                return r;
            report_progress();
        }
        return {};
    }

    struct Totals {
        std::uint64_t bytes = 0;
        std::uint64_t cqes = 0;
    };
    [[nodiscard]] Totals totals() const noexcept {
        Totals t;
        for (const Connection &c : conns_)
            if (c.rx) {
                t.bytes += c.rx->stats().bytes;
                t.cqes += c.rx->stats().cqes;
            }
        return t;
    }

    // --interval: a line for each interval that has ended.
    void report_progress() {
        if (!ticker_)
            return;
        const Totals t = totals();
        if (const auto i = ticker_->tick(Clock::now(), t.bytes, t.cqes))
            print_interval(*i);
    }

    void print_interval(const zcrx::progress::Interval &i) const {
        const std::string line =
            s_.json ? zcrx::progress::json_line(i, "zcrx-recv") : zcrx::progress::text_line(i);
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    }

    // Waits for a completion, or until the next --interval line is due. A
    // consumer holding buffers back catches up (gives them all back) once no
    // completion has come for hold_idle: the buffers it does not hold may
    // all sit in TCP's out-of-order queue, waiting for a segment that has no
    // buffer left to land in, and holding on forever would stall the stream
    // for good.
    Result<void> wait() {
        std::optional<Clock::time_point> until;
        if (!backlog_.empty())
            until = last_cqe_ + hold_idle;
        if (ticker_)
            until = until ? std::min(*until, ticker_->next()) : ticker_->next();
        if (!until) {
            if (Result<unsigned> r = ring_.submit_and_wait(1); !r)
                return std::move(r).error();
            return {};
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*until - Clock::now());
        Result<bool> r = ring_.submit_and_wait_for(std::max(left, std::chrono::milliseconds(0)));
        if (!r)
            return std::move(r).error();
        if (!*r && !backlog_.empty() && Clock::now() - last_cqe_ >= hold_idle) {
            ++idle_drains_;
            drain_backlog();
        }
        return {};
    }

    // The consumer's work on one buffer, in stream order; the buffer goes
    // back to the refill queue when entry is destroyed, on return.
    void consume(zcrx::BufferBacklog::Entry entry) noexcept {
        if (!entry.buffer)
            return;
        Connection &c = conns_[entry.tag];
        if (s_.verify && c.verifier.ok() && !c.verifier.update(entry.buffer.data()))
            // said at once: a receiver that is killed later never reports
            if (const auto m = c.verifier.mismatch())
                std::fprintf(stderr,
                             "zcrx-recv: connection %llu: pattern mismatch at stream offset %llu: "
                             "expected %u, got %u\n",
                             static_cast<unsigned long long>(entry.tag + 1),
                             static_cast<unsigned long long>(m->offset),
                             static_cast<unsigned>(m->expected), static_cast<unsigned>(m->actual));
        if (s_.checksum)
            c.cksum.update(entry.buffer.data());
    }

    void drain_backlog() noexcept {
        while (!backlog_.empty())
            consume(backlog_.pop());
    }

    Result<void> arm_accept(std::size_t i) {
        Listener &l = listeners_[i];
        io_uring_sqe *sqe = ring_.get_sqe();
        if (!sqe)
            return Error(EBUSY, "queue an accept", {}, "");
        l.peer_len = sizeof(l.peer);
        io_uring_prep_accept(sqe, l.fd.get(), reinterpret_cast<sockaddr *>(&l.peer), &l.peer_len,
                             SOCK_CLOEXEC);
        io_uring_sqe_set_data64(sqe, accept_tag - i);
        l.accept_armed = true;
        return {};
    }

    // Reads the next signal from the signal descriptor, if there is one.
    Result<void> arm_signal() {
        if (signal_fd_ < 0 || !siginfo_)
            return {};
        io_uring_sqe *sqe = ring_.get_sqe();
        if (!sqe)
            return Error(EBUSY, "queue a read of the signal descriptor", {}, "");
        io_uring_prep_read(sqe, signal_fd_, siginfo_, sizeof(*siginfo_), 0);
        io_uring_sqe_set_data64(sqe, signal_tag);
        return {};
    }

    // One CQE: no allocation, no exceptions (runs inside Ring::for_each_cqe).
    void dispatch(const io_uring_cqe &cqe) noexcept {
        if (cqe.user_data == signal_tag) {
            // a short or failed read cannot tell which: SIGTERM's end either way
            stopped_by_ = cqe.res == static_cast<int>(sizeof(*siginfo_))
                              ? static_cast<int>(siginfo_->ssi_signo)
                              : SIGTERM;
            return;
        }
        if (cqe.user_data > accept_tag - listeners_.size()) {
            Listener &l = listeners_[accept_tag - cqe.user_data];
            l.accept_armed = false;
            l.accept_res = cqe.res;
            return;
        }
        if (cqe.user_data <= event_tag && cqe.user_data > event_tag - listeners_.size()) {
            Listener &l = listeners_[event_tag - cqe.user_data];
            if (const std::optional<zcrx::ZcrxEvent> ev = l.ifq->event_of(cqe.user_data, cqe.res))
                on_event(l, *ev);
            return;
        }
        if (cqe.user_data >= conns_.size() || !conns_[cqe.user_data].rx) {
            // not ours (none is expected): back to the connection's queue,
            // or the first one's, which counts it as a bad entry if wrong
            const std::size_t lane = cqe.user_data < conns_.size() ? conns_[cqe.user_data].lane : 0;
            zcrx::discard_cqe(listeners_[lane].ifq->refill(), cqe);
            return;
        }
        Connection &c = conns_[cqe.user_data];
        zcrx::Receive::Event ev = c.rx->on_cqe(cqe);
        switch (ev.kind) {
        case zcrx::CqeKind::data:
            // Held back, or (no --hold) consumed and given back at once.
            consume(backlog_.push({cqe.user_data, std::move(ev.buffer)}));
            held_peak_ = std::max(held_peak_, backlog_.size());
            break;
        case zcrx::CqeKind::error:
            if (c.chunk_err == 0)
                c.chunk_err = ev.err;
            break;
        case zcrx::CqeKind::retry:
            // Out of buffers: holding more would only stall the re-arm.
            if (ev.err != ENOSPC)
                drain_backlog();
            break;
        case zcrx::CqeKind::eof:
        case zcrx::CqeKind::empty:
            break;
        }
        if (c.rx->done())
            c.end = Clock::now();
    }

    // An ifq's event CQE: note what fired, to act on after the batch.
    static void on_event(Listener &l, zcrx::ZcrxEvent ev) noexcept {
        const Clock::time_point now = Clock::now();
        for (std::size_t type = 0; type < event_types; ++type)
            if (ev.has(static_cast<std::uint32_t>(type)))
                l.fired_at[type] = now;
        if (ev.alloc_fail()) {
            ++l.alloc_fail_events;
            l.ran_out = true;
        }
        if (ev.copy()) {
            ++l.copy_events;
            if (!l.first_copy)
                l.first_copy = now;
        }
        l.rearm |= ev.fired & l.ifq->event_types();
    }

    // What the events call for: with --grow, an area more for an ifq that
    // ran out of buffers (before the receives it starved are re-armed);
    // then the types that fired are armed again, event_rearm_pause after
    // they fired (ALLOC_FAIL at once after an area was added: the new area
    // may not be enough). A failure to grow is said once and ends growing;
    // the receive goes on.
    void handle_events() {
        const Clock::time_point now = Clock::now();
        for (Listener &l : listeners_) {
            if (l.ran_out && s_.grow.enabled && !grow_error_ && l.areas_added < s_.grow.max) {
                Result<zcrx::Ifq::AddedArea> added =
                    l.ifq->add_area(s_.grow.area_size, s_.huge_pages);
                if (added) {
                    ++l.areas_added;
                    l.fired_at[zcrx::uapi::event_alloc_fail] = Clock::time_point{};
                } else {
                    std::fprintf(stderr, "zcrx-recv: --grow: %s\n",
                                 added.error().message().c_str());
                    grow_error_ = std::move(added).error();
                }
            }
            l.ran_out = false;
            for (std::uint32_t type = 0; l.rearm != 0 && type < event_types; ++type) {
                if (!(l.rearm & zcrx::event_bit(type)) ||
                    now - l.fired_at[type] < event_rearm_pause)
                    continue;
                l.rearm &= ~zcrx::event_bit(type);
                if (Result<void> r = l.ifq->arm_event(type); !r && !arm_failed_) {
                    std::fprintf(stderr, "zcrx-recv: %s\n", r.error().message().c_str());
                    arm_failed_ = true;
                }
            }
        }
    }

    // The work that may allocate or fail: new connections, re-arms, endings.
    Result<void> after_batch() {
        handle_events();
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
            Listener &l = listeners_[i];
            if (!l.accept_res)
                continue;
            const int res = *l.accept_res;
            l.accept_res.reset();
            if (res >= 0) {
                start_connection(i, Fd(res));
            } else if (res != -EINTR && res != -ECONNABORTED) {
                return Error(-res,
                             "accept a connection on port " + std::to_string(s_.lanes[i].port), {},
                             "");
            }
        }
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            Connection &c = conns_[i];
            if (c.over)
                continue;
            if (c.rx->needs_arm())
                if (Result<void> r = c.rx->arm(ring_); !r)
                    end_connection(c, std::move(r).error());
            if (c.rx->done())
                end_connection(c, std::nullopt);
        }
        for (std::size_t i = 0; i < listeners_.size(); ++i)
            if (!listeners_[i].accept_armed && listeners_[i].accepted < s_.connections)
                if (Result<void> r = arm_accept(i); !r)
                    return r;
        return {};
    }

    void start_connection(std::size_t lane, Fd sock) {
        Listener &l = listeners_[lane];
        const std::size_t id = conns_.size();
        Connection &c = conns_.emplace_back();
        ++l.accepted;
        c.lane = lane;
        c.start = Clock::now();
        c.peer = format_peer(l.peer);
        c.sock = std::move(sock);
        c.rx.emplace(l.ifq->refill(), l.index, c.sock.get(), id);
        if (s_.interval && !ticker_) // the clock starts at the first accept
            ticker_.emplace(*s_.interval, c.start);
        if (Result<void> r = c.rx->arm(ring_); !r)
            end_connection(c, std::move(r).error());
    }

    std::string name(const Connection &c) const {
        return "connection " + std::to_string(&c - conns_.data() + 1) + " from " + c.peer;
    }

    void end_connection(Connection &c, std::optional<Error> arm_error) {
        if (c.over)
            return;
        if (c.end == Clock::time_point{})
            c.end = Clock::now();
        if (arm_error)
            c.error = std::move(arm_error);
        else if (c.rx->end_error())
            c.error = c.rx->error("receive on " + name(c));
        else if (c.chunk_err)
            c.error = Error(c.chunk_err, "receive on " + name(c), {},
                            std::string(zcrx::recv_errno_advice(c.chunk_err)));
        c.over = true;
        c.sock.reset();
        ++ended_;
    }

    const Settings &s_;
    zcrx::Ring &ring_;
    zcrx::Ring *event_ring_;
    std::vector<Listener> listeners_; // never resized: accepts write into them
    std::vector<Connection> conns_;
    std::size_t ended_ = 0;
    zcrx::BufferBacklog backlog_; // --hold; before its buffers' queue goes
    std::size_t held_peak_ = 0;   // the most buffers backlog_ ever held
    std::uint64_t idle_drains_ = 0;
    std::optional<Error> grow_error_;
    bool arm_failed_ = false;       // said once
    int signal_fd_;                 // --setup: SIGINT and SIGTERM, read through the ring
    signalfd_siginfo *siginfo_;     // what the read of it returns
    std::optional<int> stopped_by_; // the signal that ended the receive
    Clock::time_point last_cqe_{};  // when the last completions came
    std::optional<zcrx::progress::Ticker> ticker_; // --interval, from the first accept
};

// The verdict on one connection's data: "" if it is good.
std::string data_problem(const Settings &s, const Connection &c) {
    if (c.error)
        return c.error->message();
    const std::uint64_t bytes = c.rx ? c.rx->stats().bytes : 0;
    if (const auto m = c.verifier.mismatch())
        return "pattern mismatch at stream offset " + std::to_string(m->offset) + ": expected " +
               std::to_string(m->expected) + ", got " + std::to_string(m->actual);
    if (s.expect_bytes && *s.expect_bytes != bytes)
        return "received " + std::to_string(bytes) + " bytes, expected " +
               std::to_string(*s.expect_bytes);
    return {};
}

// The ifqs of the ring, which owns them.
using IfqList = std::vector<std::reference_wrapper<zcrx::Ifq>>;

// The refill queues' counts, summed over the ring's ifqs.
struct RefillTotals {
    std::uint64_t returned = 0;
    std::uint64_t batches = 0;
    std::uint64_t unread = 0;
};

RefillTotals refill_totals(const IfqList &ifqs) {
    RefillTotals t;
    for (const zcrx::Ifq &q : ifqs) {
        const zcrx::RefillQueueStats st = q.refill().stats();
        t.returned += st.returned;
        t.batches += st.batches;
        t.unread += q.refill().unread();
    }
    return t;
}

// What the events, the kernel's copy statistics and --grow said, over the
// ring's ifqs.
struct EventTotals {
    bool events = false; // asked for (the kernel has them)
    std::uint64_t alloc_fail = 0;
    std::uint64_t copy = 0;
    std::optional<double> first_copy_s; // seconds into the transfer
    std::optional<zcrx::CopyStats> stats;
    rt::CopyCause cause = rt::CopyCause::unknown;
    std::uint64_t areas = 0;
    std::uint64_t areas_added = 0;
};

EventTotals event_totals(const Settings &s, const Receiver &r, const IfqList &ifqs,
                         const std::optional<zcrx::KernelIfqStats> &kst, bool events) {
    EventTotals t;
    t.events = events;
    std::optional<Clock::time_point> first_copy;
    for (const Listener &l : r.listeners()) {
        t.alloc_fail += l.alloc_fail_events;
        t.copy += l.copy_events;
        t.areas_added += l.areas_added;
        if (l.first_copy && (!first_copy || *l.first_copy < *first_copy))
            first_copy = l.first_copy;
    }
    if (const auto start = r.first_start(); first_copy && start)
        t.first_copy_s = seconds_between(*start, *first_copy);
    for (const zcrx::Ifq &q : ifqs) {
        t.areas += q.area_count();
        if (const std::optional<zcrx::CopyStats> st = q.stats()) {
            zcrx::CopyStats sum = t.stats.value_or(zcrx::CopyStats{});
            sum.copy_count += st->copy_count;
            sum.copy_bytes += st->copy_bytes;
            t.stats = sum;
        }
    }
    // the statistics count every copy; fdinfo, where there are none
    if (t.stats || kst)
        t.cause = rt::copy_cause(
            s.nodev, kst ? std::optional<std::uint64_t>(kst->zero_copy_bytes) : std::nullopt,
            t.stats ? t.stats->copy_bytes : kst->copy_bytes);
    return t;
}

// Percentage of a in a + b, 0 if both are 0.
double share(std::uint64_t a, std::uint64_t b) {
    return a + b ? 100.0 * static_cast<double>(a) / static_cast<double>(a + b) : 0.0;
}

void print_events_text(const Settings &s, const Receiver &r, const EventTotals &t) {
    if (t.cause == rt::CopyCause::none && !t.first_copy_s)
        std::printf("copy fallback: none (%s)\n",
                    std::string(rt::copy_cause_text(t.cause)).c_str());
    else if (t.first_copy_s)
        std::printf("copy fallback: first at %.3f s into the transfer; why: %s\n", *t.first_copy_s,
                    std::string(rt::copy_cause_text(t.cause)).c_str());
    else
        std::printf("copy fallback: %s; why: %s\n",
                    t.events ? "when is unknown (no copy event)"
                             : "when is unknown (no zcrx events: Linux 7.2 has them)",
                    std::string(rt::copy_cause_text(t.cause)).c_str());
    if (t.stats)
        std::printf("kernel stats: %llu copies, %llu bytes copied\n",
                    static_cast<unsigned long long>(t.stats->copy_count),
                    static_cast<unsigned long long>(t.stats->copy_bytes));
    if (t.events)
        std::printf("buffers ran out: %llu times (ALLOC_FAIL events), %llu copy events\n",
                    static_cast<unsigned long long>(t.alloc_fail),
                    static_cast<unsigned long long>(t.copy));
    if (s.grow.enabled)
        std::printf("areas: %llu in all, %llu added by --grow (%s each, at most %llu per "
                    "queue)%s%s\n",
                    static_cast<unsigned long long>(t.areas),
                    static_cast<unsigned long long>(t.areas_added),
                    cli::format_size(s.grow.area_size).c_str(),
                    static_cast<unsigned long long>(s.grow.max),
                    r.grow_error() ? "; stopped: " : "",
                    r.grow_error() ? r.grow_error()->message().c_str() : "");
}

void print_text(const Settings &s, const Receiver &r, const IfqList &ifqs,
                const std::optional<zcrx::KernelIfqStats> &kst, bool flushed,
                const EventTotals &ev) {
    const std::vector<Connection> &conns = r.connections();
    zcrx::ReceiveStats total;
    for (std::size_t i = 0; i < conns.size(); ++i) {
        const Connection &c = conns[i];
        const zcrx::ReceiveStats st = c.rx ? c.rx->stats() : zcrx::ReceiveStats{};
        total.bytes += st.bytes;
        total.cqes += st.cqes;
        total.rearms += st.rearms;
        total.largest = std::max(total.largest, st.largest);
        const double sec = seconds_between(c.start, c.end);
        std::printf("connection %zu from %s: %llu bytes in %.3f s, %.3f Gbit/s, %llu cqes, "
                    "%llu re-arms",
                    i + 1, c.peer.c_str(), static_cast<unsigned long long>(st.bytes), sec,
                    gbit_per_s(st.bytes, sec), static_cast<unsigned long long>(st.cqes),
                    static_cast<unsigned long long>(st.rearms));
        if (s.verify)
            std::printf(", pattern %s", c.verifier.ok() ? "ok" : "MISMATCH");
        if (s.checksum)
            std::printf(", cksum %u %llu", c.cksum.value(),
                        static_cast<unsigned long long>(c.cksum.length()));
        if (s.lanes.size() > 1)
            std::printf(", %s queue %u", s.lanes[c.lane].ifname.c_str(), s.lanes[c.lane].queue);
        std::printf("%s\n", data_problem(s, c).empty() ? "" : ", FAILED");
    }
    const RefillTotals rq = refill_totals(ifqs);
    std::printf(
        "total: %zu connection%s, %llu bytes in %.3f s, %.3f Gbit/s, %llu cqes, "
        "%llu re-arms, %llu buffers returned in %llu refill batches\n",
        conns.size(), conns.size() == 1 ? "" : "s", static_cast<unsigned long long>(total.bytes),
        r.seconds(), gbit_per_s(total.bytes, r.seconds()),
        static_cast<unsigned long long>(total.cqes), static_cast<unsigned long long>(total.rearms),
        static_cast<unsigned long long>(rq.returned), static_cast<unsigned long long>(rq.batches));
    std::printf("largest completion: %u bytes\n", total.largest);
    if (s.hold)
        std::printf("held back: at most %zu of --hold %llu buffers at once; %llu catch-ups "
                    "(all given back after %lld ms without data)\n",
                    r.held_peak(), static_cast<unsigned long long>(s.hold),
                    static_cast<unsigned long long>(r.idle_drains()),
                    static_cast<long long>(hold_idle.count()));
    if (kst)
        std::printf("kernel: %llu bytes zero copy (%.1f%%), %llu bytes by copy%s, "
                    "%llu bad refill entries\n",
                    static_cast<unsigned long long>(kst->zero_copy_bytes),
                    share(kst->zero_copy_bytes, kst->copy_bytes),
                    static_cast<unsigned long long>(kst->copy_bytes), s.nodev ? "" : " fallback",
                    static_cast<unsigned long long>(kst->bad_refill_entries));
    if (s.nodev)
        std::printf("no device (--nodev, ZCRX_REG_NODEV): the kernel copies every byte into "
                    "the area, none is received in place\n");
    if (flushed)
        std::printf("refill ring%s: flushed, %llu entries unread\n", ifqs.size() > 1 ? "s" : "",
                    static_cast<unsigned long long>(rq.unread));
    else
        std::printf("refill ring: not flushed (no IORING_REGISTER_ZCRX_CTRL)\n");
    if (s.shared_ring)
        std::printf("shared ring: received on a second ring that imported the queue\n");
    print_events_text(s, r, ev);
}

void print_json(const Settings &s, const Receiver &r, const IfqList &ifqs,
                const std::optional<zcrx::KernelIfqStats> &kst, bool flushed, const EventTotals &ev,
                bool ok) {
    zcrx::Json j = zcrx::json_document();
    const Lane &first = s.lanes.front();
    // --nodev: no interface or queue (null), every byte by copy
    const auto device_of = [&](const Lane &l, zcrx::Json &o) {
        o["ifname"] = s.nodev ? zcrx::Json(nullptr) : zcrx::Json(l.ifname);
        o["queue"] = s.nodev ? zcrx::Json(nullptr) : zcrx::Json(l.queue);
    };
    j["address"] = s.address;
    j["port"] = first.port;
    j["nodev"] = s.nodev;
    device_of(first, j);
    zcrx::Json queues = zcrx::Json::array();
    for (const Lane &l : s.lanes) {
        zcrx::Json q = zcrx::Json::object();
        device_of(l, q);
        q["port"] = l.port;
        queues.push_back(std::move(q));
    }
    j["queues"] = std::move(queues);
    j["region"] = s.region == zcrx::RegionKind::user ? "user" : "kernel";
    j["shared_ring"] = s.shared_ring;
    j["area"] = s.area == zcrx::AreaKind::udmabuf ? "dmabuf" : "memory";
    j["rq_entries"] = ifqs.front().get().rq_entries();
    j["area_size"] = ifqs.front().get().area().size();
    j["rx_buf_len"] = s.rx_buf_len;
    j["hold"] = s.hold;

    zcrx::ReceiveStats total;
    zcrx::Json conns_out = zcrx::Json::array();
    const std::vector<Connection> &conns = r.connections();
    for (std::size_t i = 0; i < conns.size(); ++i) {
        const Connection &c = conns[i];
        const zcrx::ReceiveStats st = c.rx ? c.rx->stats() : zcrx::ReceiveStats{};
        total.bytes += st.bytes;
        total.cqes += st.cqes;
        total.rearms += st.rearms;
        total.largest = std::max(total.largest, st.largest);
        const double sec = seconds_between(c.start, c.end);
        zcrx::Json o = {{"id", i + 1}, {"peer", c.peer}};
        o["queue"] = s.nodev ? zcrx::Json(nullptr) : zcrx::Json(s.lanes[c.lane].queue);
        o["bytes"] = st.bytes;
        o["seconds"] = sec;
        o["gbit_per_s"] = gbit_per_s(st.bytes, sec);
        o["cqes"] = st.cqes;
        o["rearms"] = st.rearms;
        o["verified"] = s.verify ? zcrx::Json(c.verifier.ok()) : zcrx::Json(nullptr);
        o["mismatch"] = nullptr;
        if (const auto m = c.verifier.mismatch())
            o["mismatch"] = {{"offset", m->offset},
                             {"expected", std::uint64_t{m->expected}},
                             {"actual", std::uint64_t{m->actual}}};
        o["cksum"] = s.checksum ? zcrx::Json(std::uint64_t{c.cksum.value()}) : zcrx::Json(nullptr);
        const std::string problem = data_problem(s, c);
        o["error"] = problem.empty() ? zcrx::Json(nullptr) : zcrx::Json(problem);
        conns_out.push_back(std::move(o));
    }
    j["connections"] = std::move(conns_out);
    const RefillTotals rq = refill_totals(ifqs);
    const double sec = r.seconds();
    j["total"] = {{"bytes", total.bytes},
                  {"seconds", sec},
                  {"gbit_per_s", gbit_per_s(total.bytes, sec)},
                  {"cqes", total.cqes},
                  {"rearms", total.rearms},
                  {"largest_cqe", std::uint64_t{total.largest}},
                  {"buffers_returned", rq.returned},
                  {"refill_batches", rq.batches},
                  {"buffers_held_peak", std::uint64_t{r.held_peak()}},
                  {"hold_idle_drains", r.idle_drains()}};
    j["kernel"] = nullptr;
    if (kst)
        j["kernel"] = {{"zero_copy_bytes", kst->zero_copy_bytes},
                       {"copy_bytes", kst->copy_bytes},
                       {"zero_copy_percent", share(kst->zero_copy_bytes, kst->copy_bytes)},
                       {"bad_refill_entries", kst->bad_refill_entries}};
    j["refill"] = {{"flushed", flushed}, {"unread", rq.unread}};
    // events and statistics (null where the kernel has none), areas
    j["events"] = nullptr;
    if (ev.events)
        j["events"] = {{"alloc_fail", ev.alloc_fail}, {"copy", ev.copy}};
    j["stats"] = nullptr;
    if (ev.stats)
        j["stats"] = {{"copy_count", ev.stats->copy_count}, {"copy_bytes", ev.stats->copy_bytes}};
    j["copy_fallback"] = {{"first_seconds", zcrx::json_or_null(ev.first_copy_s)},
                          {"cause", rt::copy_cause_name(ev.cause)},
                          {"reason", rt::copy_cause_text(ev.cause)}};
    j["areas"] = ev.areas;
    j["areas_added"] = ev.areas_added;
    j["grow"] = nullptr;
    if (s.grow.enabled)
        j["grow"] = {{"area_size", s.grow.area_size},
                     {"max", s.grow.max},
                     {"error", r.grow_error() ? zcrx::Json(r.grow_error()->message())
                                              : zcrx::Json(nullptr)}};
    j["ok"] = ok;
    zcrx::print_json_line(j);
}

// Split a comma-separated list; every item non-empty.
std::vector<std::string_view> split_list(std::string_view text, std::string_view what) {
    std::vector<std::string_view> items;
    for (;;) {
        const std::size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        if (item.empty())
            throw cli::UsageError(std::string(what) + ": empty item in the list");
        items.push_back(item);
        if (comma == std::string_view::npos)
            return items;
        text.remove_prefix(comma + 1);
    }
}

// --queue Q[,Q...] with PORT[,PORT...], one port per queue, and --ifname
// DEV[,DEV...]: one device for all, or one per queue.
std::vector<Lane> parse_lanes(std::string_view ifnames, std::string_view queues,
                              std::string_view ports) {
    const std::vector<std::string_view> q = split_list(queues, "--queue");
    const std::vector<std::string_view> p = split_list(ports, "PORT");
    const std::vector<std::string_view> d = split_list(ifnames, "--ifname");
    if (q.size() > max_queues)
        throw cli::UsageError("--queue: at most " + std::to_string(max_queues) + " queues");
    if (p.size() != q.size())
        throw cli::UsageError("PORT: " + std::to_string(p.size()) + " ports for " +
                              std::to_string(q.size()) + " queues: give one port per queue");
    if (d.size() != 1 && d.size() != q.size())
        throw cli::UsageError("--ifname: " + std::to_string(d.size()) + " devices for " +
                              std::to_string(q.size()) + " queues: give one, or one per queue");
    std::vector<Lane> lanes(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) {
        lanes[i].ifname = std::string(d[d.size() == 1 ? 0 : i]);
        lanes[i].queue =
            static_cast<std::uint32_t>(cli::parse_count(q[i], "--queue", 0, UINT32_MAX));
        lanes[i].port = cli::parse_port(p[i], "PORT");
    }
    return lanes;
}

// --setup: the NIC changes of each queue, undone when they go (after the
// ring, which is made after them: the kernel keeps tcp-data-split on while
// a queue has a memory provider), and SIGINT and SIGTERM blocked and read
// through a signalfd, so that they end the receive instead of the process.
struct NicSetups {
    std::vector<zcrx::ethtool::NicSetup> devices;
    Fd signals;
    signalfd_siginfo siginfo{}; // the ring reads the signal here
};

// Where --setup's lines go: stderr, which leaves stdout to the results.
zcrx::ethtool::SetupOutput setup_output() {
    return {[](const std::string &line) { std::fprintf(stderr, "zcrx-recv: %s\n", line.c_str()); },
            [](const std::string &line) {
                std::fprintf(stderr, "zcrx-recv: warning: %s\n", line.c_str());
            },
            [](const Error &e) { std::fprintf(stderr, "zcrx-recv: %s\n", e.message().c_str()); }};
}

// Blocks SIGINT and SIGTERM and applies each lane's NIC setup. Blocked
// first: a signal that comes while the NIC is being set up waits for the
// receive loop, which ends at once, and everything is undone.
Result<void> set_up_nics(const Settings &s, NicSetups &out) {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGINT);
    ::sigaddset(&set, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0)
        return Error(errno, "block SIGINT and SIGTERM", {}, "");
    out.signals.reset(::signalfd(-1, &set, SFD_CLOEXEC));
    if (!out.signals)
        return Error(errno, "make a signalfd for SIGINT and SIGTERM", {}, "");
    out.devices.reserve(s.lanes.size());
    for (const Lane &lane : s.lanes) {
        zcrx::ethtool::SetupRequest req;
        req.queue = lane.queue;
        req.port = lane.port;
        Result<zcrx::ethtool::NicSetup> setup =
            zcrx::ethtool::NicSetup::apply(lane.ifname, req, setup_output());
        if (!setup)
            return std::move(setup).error();
        out.devices.push_back(std::move(setup).value());
    }
    return {};
}

int run(const Settings &s) {
    NicSetups nics; // first made, last gone: after the ring
    if (s.setup)
        if (Result<void> r = set_up_nics(s, nics); !r)
            return setup_failure(s, r.error());

    zcrx::RingConfig rc;
    rc.sq_entries = std::max<std::uint32_t>(
        64, static_cast<std::uint32_t>(s.connections * s.lanes.size() + s.lanes.size() + 1));
    Result<zcrx::Ring> ring = zcrx::Ring::create(rc);
    if (!ring)
        return setup_failure(s, ring.error(), ring.error().err == EINVAL);
    Result<bool> has_recv_zc = ring->supports_op(zcrx::uapi::op_recv_zc);
    if (!has_recv_zc)
        return setup_failure(s, has_recv_zc.error());
    if (!*has_recv_zc)
        return setup_failure(s,
                             Error(0, "the kernel lacks IORING_OP_RECV_ZC",
                                   "it needs Linux 6.15 or later, or the zcrx patch series"),
                             true);

    // Events and copy statistics where the kernel has them; --grow needs
    // them, and areas added at run time.
    const bool events = zcrx::kernel_has_events();
    if (s.grow.enabled && !events)
        return setup_failure(s,
                             Error(0,
                                   "--grow: the kernel has no zcrx events (ZCRX_FEATURE_EVENT) to "
                                   "say when buffers run out",
                                   "it needs Linux 7.2 or later, or the zcrx patch series"),
                             true);
    if (s.grow.enabled && !zcrx::kernel_has_add_area())
        return setup_failure(s,
                             Error(0,
                                   "--grow: the kernel cannot add areas to a live queue "
                                   "(ZCRX_CTRL_ADD_AREA)",
                                   "it needs Linux 7.3 or later, or the zcrx patch series"),
                             true);

    // One interface queue per lane, all on this ring, each with its own zcrx_id
    IfqList ifqs;
    ifqs.reserve(s.lanes.size());
    for (const Lane &lane : s.lanes) {
        zcrx::IfqConfig ic = s.nodev ? zcrx::IfqConfig::device_less() : zcrx::IfqConfig{};
        if (!s.nodev) {
            Result<std::uint32_t> ifindex = zcrx::interface_index(lane.ifname);
            if (!ifindex)
                return setup_failure(s, ifindex.error());
            ic.if_index = *ifindex;
            ic.if_name = lane.ifname;
            ic.rx_queue = lane.queue;
        }
        ic.rq_entries = s.rq_entries;
        ic.area_size = s.area_size;
        ic.huge_pages = s.huge_pages;
        ic.rx_buf_len = s.rx_buf_len;
        ic.area = s.area;
        ic.region = s.region;
        if (events) {
            ic.event_types = wanted_events;
            ic.event_user_data = event_tag - ifqs.size();
            ic.stats = true;
        }
        Result<std::reference_wrapper<zcrx::Ifq>> ifq = ring->register_ifq(ic);
        if (!ifq) // a kernel without the device-less mode refuses it with EINVAL
            return setup_failure(s, ifq.error(),
                                 s.nodev && ifq.error().err == EINVAL && !zcrx::kernel_has_nodev());
        ifqs.push_back(*ifq);
    }

    // --shared-ring (one queue): declared after ring, so it closes first
    std::optional<zcrx::Ring> importer;
    std::uint32_t shared_index = 0;
    if (s.shared_ring) {
        Result<zcrx::Ring> r2 = zcrx::Ring::create(rc);
        if (!r2)
            return setup_failure(s, r2.error());
        importer.emplace(std::move(r2).value());
        Result<std::uint32_t> id = ifqs.front().get().share_with(*importer);
        if (!id)
            return setup_failure(s, id.error());
        shared_index = *id;
    }

    // Listen only once the queues are ready: a listener means "send now".
    std::vector<Listener> listeners(s.lanes.size());
    for (std::size_t i = 0; i < s.lanes.size(); ++i) {
        Result<Fd> fd =
            zcrx::listen_tcp(s.address, s.lanes[i].port, static_cast<int>(s.connections));
        if (!fd)
            return setup_failure(s, fd.error());
        listeners[i].ifq = &ifqs[i].get();
        listeners[i].index = importer ? shared_index : ifqs[i].get().index();
        listeners[i].fd = std::move(fd).value();
    }

    // events come on the ring that registered the queues
    Receiver receiver(s, importer ? *importer : *ring, std::move(listeners),
                      importer ? &*ring : nullptr, nics.signals.get(), &nics.siginfo);
    const Result<void> ran = receiver.run();
    if (!ran)
        std::fprintf(stderr, "zcrx-recv: %s\n", ran.error().message().c_str());
    const std::optional<int> stopped_by = receiver.stopped_by();
    if (stopped_by) {
        const char *abbrev = ::sigabbrev_np(*stopped_by);
        std::fprintf(stderr, "zcrx-recv: stopped by %s%s: the receive ended early%s\n",
                     abbrev ? "SIG" : "a signal", abbrev ? abbrev : "",
                     s.setup ? "; the NIC set-up is undone on exit" : "");
    }

    // Have the kernel read every buffer given back, so that its counts (bad
    // refill entries) are final. Kernels before 6.19 cannot (EINVAL).
    bool ok = ran.ok() && !stopped_by;
    bool flushed = true;
    for (zcrx::Ifq &ifq : ifqs) {
        const Result<void> f = ifq.flush_refill();
        if (f)
            continue;
        flushed = false;
        if (f.error().err != EINVAL) {
            std::fprintf(stderr, "zcrx-recv: %s\n", f.error().message().c_str());
            ok = false;
        }
    }
    const std::optional<zcrx::KernelIfqStats> kst = zcrx::read_ifq_stats(ring->fd());
    const std::vector<Connection> &conns = receiver.connections();
    for (std::size_t i = 0; i < conns.size(); ++i)
        if (const std::string problem = data_problem(s, conns[i]); !problem.empty()) {
            std::fprintf(stderr, "zcrx-recv: connection %zu from %s: %s\n", i + 1,
                         conns[i].peer.c_str(), problem.c_str());
            ok = false;
        }
    const EventTotals ev = event_totals(s, receiver, ifqs, kst, events);
    if (s.json)
        print_json(s, receiver, ifqs, kst, flushed, ev, ok);
    else
        print_text(s, receiver, ifqs, kst, flushed, ev);
    if (stopped_by)
        return cli::exit_runtime;
    return ok ? cli::exit_ok : cli::exit_data;
}

} // namespace

int main(int argc, char **argv) {
    return cli::run_tool(
        "zcrx-recv", options, argc, argv, help_text, cli::exit_runtime, [](const cli::Args &args) {
            args.expect_positional(2, 2, "ADDRESS PORT");
            Settings s;
            s.address = std::string(args.positional()[0]);
            s.nodev = args.has("nodev");
            if (s.nodev) {
                if (args.has("ifname") || args.has("queue"))
                    throw cli::UsageError("--nodev: takes no --ifname or --queue: a device-less "
                                          "interface queue has no NIC queue");
                if (args.positional()[1].find(',') != std::string_view::npos)
                    throw cli::UsageError("PORT: --nodev takes one port");
                s.lanes = {Lane{{}, 0, cli::parse_port(args.positional()[1], "PORT")}};
            } else {
                s.lanes = parse_lanes(args.required("ifname"), args.required("queue"),
                                      args.positional()[1]);
            }
            s.area_size = args.size_or("area-size", default_area_size, 1, zcrx::max_area_len);
            s.rq_entries = static_cast<std::uint32_t>(
                args.count_or("rq-entries", default_rq_entries, 1, zcrx::max_rq_entries));
            if (const auto region = args.value("region")) {
                if (*region == "user")
                    s.region = zcrx::RegionKind::user;
                else if (*region == "kernel")
                    s.region = zcrx::RegionKind::kernel;
                else
                    throw cli::UsageError("--region: '" + std::string(*region) +
                                          "' is not user or kernel");
            }
            s.huge_pages = args.has("huge-pages");
            s.rx_buf_len = static_cast<std::uint32_t>(args.size_or("rx-buf-len", 0, 0, UINT32_MAX));
            if (const auto area = args.value("area")) {
                if (*area == "memory")
                    s.area = zcrx::AreaKind::anonymous;
                else if (*area == "dmabuf" && s.nodev)
                    throw cli::UsageError("--area dmabuf: not with --nodev: the kernel copies "
                                          "every byte, and cannot copy into a dma-buf");
                else if (*area == "dmabuf")
                    s.area = zcrx::AreaKind::udmabuf;
                else
                    throw cli::UsageError("--area: '" + std::string(*area) +
                                          "' is not memory or dmabuf");
            }
            s.shared_ring = args.has("shared-ring");
            if (s.shared_ring && s.lanes.size() > 1)
                throw cli::UsageError("--shared-ring: takes one queue, not " +
                                      std::to_string(s.lanes.size()));
            // The kernel needs at least one buffer the consumer does not hold.
            const long page_size = ::sysconf(_SC_PAGESIZE);
            const std::uint64_t page = page_size > 0 ? static_cast<std::uint64_t>(page_size) : 4096;
            const std::uint64_t buf = s.rx_buf_len != 0 ? s.rx_buf_len : page;
            s.hold = args.count_or("hold", 0, 0, zcrx::area_buffers(s.area_size, buf) - 1);
            s.connections =
                static_cast<std::uint32_t>(args.count_or("connections", 1, 1, max_connections));
            s.verify = args.has("verify");
            s.checksum = args.has("checksum");
            if (args.has("expect-bytes"))
                s.expect_bytes = args.size_or("expect-bytes", 0, 0, UINT64_MAX);
            s.json = args.has("json");
            s.setup = args.has("setup");
            if (s.setup && s.nodev)
                throw cli::UsageError("--setup: not with --nodev, which has no NIC to set up");
            if (s.setup)
                for (std::size_t i = 0; i < s.lanes.size(); ++i)
                    for (std::size_t j = 0; j < i; ++j)
                        if (s.lanes[i].ifname == s.lanes[j].ifname)
                            throw cli::UsageError("--setup: one queue per device (" +
                                                  s.lanes[i].ifname + " has two)");
            s.interval = args.seconds("interval", zcrx::progress::min_interval,
                                      zcrx::progress::max_interval);
            s.grow = rt::parse_grow(args, s.area_size, page, buf);
            return run(s);
        });
}
