// zcrx-bench: receive one TCP flow in several ways, side by side in the same
// run, and say what each way costs: throughput, CPU time per GiB on the
// receiving CPU and on all CPUs, and completions per GiB.
#include <arpa/inet.h>
#include <cpuid.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "zcrx/area.hpp"
#include "zcrx/bench.hpp"
#include "zcrx/buffer.hpp"
#include "zcrx/cli.hpp"
#include "zcrx/error.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/fdinfo.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/json.hpp"
#include "zcrx/net.hpp"
#include "zcrx/recv.hpp"
#include "zcrx/result.hpp"
#include "zcrx/ring.hpp"

namespace {

namespace cli = zcrx::cli;
namespace bench = zcrx::bench;
using zcrx::Error;
using zcrx::Fd;
using zcrx::Result;
using Clock = std::chrono::steady_clock;

constexpr double gib = 1024.0 * 1024 * 1024;
constexpr std::uint64_t sender_tag = 1;
constexpr std::uint64_t recv_tag = 2;
// How long a new interface queue may find the last one still in place: a
// closed ring lets go of its queue in the background.
constexpr auto ifq_busy_wait = std::chrono::seconds(30);
constexpr int accept_timeout_ms = 60 * 1000;

// Send-zc uAPI bits from Linux 6.2 that liburing 2.3's header lacks: ask the
// notification to say whether the kernel had to copy after all.
constexpr std::uint16_t send_zc_report_usage = 1U << 3;
constexpr std::uint32_t notif_usage_zc_copied = 1U << 31;

enum class Mode { epoll, uring, zcrx, trunc };
constexpr std::array all_modes = {Mode::epoll, Mode::uring, Mode::zcrx, Mode::trunc};

constexpr std::string_view mode_name(Mode m) noexcept {
    switch (m) {
    case Mode::epoll:
        return "epoll";
    case Mode::uring:
        return "uring";
    case Mode::zcrx:
        return "zcrx";
    case Mode::trunc:
        return "trunc";
    }
    return "?";
}

constexpr std::string_view mode_help(Mode m) noexcept {
    switch (m) {
    case Mode::epoll:
        return "epoll+recv";
    case Mode::uring:
        return "io_uring recv";
    case Mode::zcrx:
        return "zcrx";
    case Mode::trunc:
        return "MSG_TRUNC";
    }
    return "?";
}

constexpr cli::Option options[] = {
    {"ifname", "DEV", "the receiving interface (required)"},
    {"queue", "Q", "its RX queue PORT is steered to, for zcrx (required)"},
    {"modes", "LIST", "receive modes (default epoll,uring,zcrx,trunc)"},
    {"rounds", "N", "rounds; every mode runs once per round (default 5)"},
    {"size", "SIZE", "bytes per run (default 1G; suffixes K M G T)"},
    {"copy-port", "P", "the copying modes' port, kept off Q (default PORT+1)"},
    {"sender-netns", "PATH", "send from this network namespace (e.g. /run/netns/a)"},
    {"sender-cpu", "N", "pin the sending thread to CPU N"},
    {"receiver-cpu", "N", "pin the receiving thread to CPU N"},
    {"send-chunk", "SIZE", "bytes per zero-copy send (default 1M)"},
    {"read-size", "SIZE", "epoll, trunc: bytes per recv() (default 1M)"},
    {"buf-size", "SIZE", "uring: provided buffer size (default 64K)"},
    {"bufs", "N", "uring: provided buffers, a power of two (default 256)"},
    {"area-size", "SIZE", "zcrx: memory area (default 64M)"},
    {"rq-entries", "N", "zcrx: refill ring entries (default 4096)"},
    {"huge-pages", "", "zcrx: back the area with huge pages (MAP_HUGETLB)"},
    {"rx-buf-len", "SIZE", "zcrx: bytes per receive buffer (default: a page)"},
    {"verify", "", "check every byte received (slower: not for timing)"},
    {"json", "", "print the results as one JSON object on stdout"},
    {"quiet", "", "no progress lines on stderr"},
    {"help", "", "show this help and exit", 'h'},
};

std::string help_text() {
    std::string s = "Usage: zcrx-bench --ifname DEV --queue Q [OPTIONS] ADDRESS PORT\n"
                    "\n"
                    "Receive one TCP flow at a time, sent by a thread of this program, in each\n"
                    "receive mode in turn (epoll, uring, zcrx, trunc) for --rounds rounds; report\n"
                    "per mode throughput, CPU time and completions per GiB (medians, spreads)\n"
                    "and the ratios to epoll and trunc. PORT must be steered to queue Q,\n"
                    "--copy-port must not be.\n"
                    "\n"
                    "Options:\n";
    s += cli::option_help(options);
    s += "\n"
         "Exit status: 0 ok, 1 data error, 2 usage error, 3 setup or runtime error,\n"
         "4 a feature is missing. See zcrx-bench(1) for the modes, the figures and\n"
         "the set-up.\n";
    return s;
}

struct Settings {
    std::string address;
    std::uint16_t port = 0;
    std::uint16_t copy_port = 0;
    std::string ifname;
    std::uint32_t queue = 0;
    std::vector<Mode> modes;
    std::uint64_t rounds = 5;
    std::uint64_t size = std::uint64_t{1} << 30;
    std::optional<std::string> sender_netns;
    std::optional<int> sender_cpu;
    std::optional<int> receiver_cpu;
    std::size_t send_chunk = 1 << 20;
    std::size_t read_size = 1 << 20;
    std::uint32_t buf_size = 64 << 10;
    std::uint32_t bufs = 256;
    std::uint64_t area_size = std::uint64_t{64} << 20;
    std::uint32_t rq_entries = 4096;
    bool huge_pages = false;
    std::uint32_t rx_buf_len = 0; // 0: a page
    bool verify = false;
    bool json = false;
    bool quiet = false;
};

// The hypervisor we run under, from CPUID ("TCG" for QEMU's emulator), or
// "" on bare metal.
std::string hypervisor() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1U << 31)))
        return {};
    __cpuid(0x40000000, eax, ebx, ecx, edx);
    char sig[13] = {};
    std::memcpy(sig, &ebx, 4);
    std::memcpy(sig + 4, &ecx, 4);
    std::memcpy(sig + 8, &edx, 4);
    const std::string_view v(sig);
    if (v == "TCGTCGTCGTCG")
        return "TCG";
    if (v.starts_with("KVMKVMKVM"))
        return "KVM";
    return v.empty() ? std::string("hypervisor") : std::string(v);
}

Result<void> pin_to(std::optional<int> cpu, std::string_view who) {
    if (!cpu)
        return {};
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(*cpu), &set);
    if (::sched_setaffinity(0, sizeof(set), &set) < 0)
        return Error(errno, "pin the " + std::string(who) + " to CPU " + std::to_string(*cpu), {},
                     "is that CPU online? (nproc, /sys/devices/system/cpu/online)");
    return {};
}

Result<std::uint32_t> interface_mtu(const std::string &ifname) {
    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    if (ifname.size() >= sizeof(ifr.ifr_name))
        return Error(EINVAL, "read the MTU of " + ifname, {}, "interface names are short");
    std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size() + 1);
    if (!fd || ::ioctl(fd.get(), SIOCGIFMTU, &ifr) < 0)
        return Error(errno, "read the MTU of " + ifname, {}, "");
    return static_cast<std::uint32_t>(ifr.ifr_mtu);
}

// ---- the sender: a thread of its own, maybe in another network namespace ----

struct SendResult {
    std::uint64_t bytes = 0;
    std::uint64_t copied_notifs = 0; // zero-copy sends the kernel copied after all
    std::optional<Error> error;
};

class Sender {
public:
    Sender(const Settings &s, const zcrx::SocketAddress &to, std::span<const std::byte> data,
           std::size_t period)
        : s_(s), to_(to), data_(data), period_(period) {}

    // Runs in the sender thread: join the namespace, pin, connect, wait for
    // the receiver's go, send s.size bytes, wait for the peer to close.
    SendResult run() noexcept {
        SendResult r;
        try {
            if (Result<void> ok = setup(); !ok)
                r.error = std::move(ok).error();
            else
                send_all(r);
        } catch (const std::exception &e) {
            r.error = Error(ENOMEM, std::string("sender: ") + e.what(), {}, "");
        }
        return r;
    }

private:
    Result<void> setup() {
        if (s_.sender_netns) {
            Fd ns(::open(s_.sender_netns->c_str(), O_RDONLY | O_CLOEXEC));
            // Network namespaces are per thread: only this one moves.
            if (!ns || ::setns(ns.get(), CLONE_NEWNET) < 0)
                return Error(errno, "enter network namespace " + *s_.sender_netns, {},
                             "needs CAP_SYS_ADMIN and a namespace file (ip netns add NAME "
                             "makes /run/netns/NAME)");
        }
        if (Result<void> ok = pin_to(s_.sender_cpu, "sender"); !ok)
            return ok;
        sock_.reset(::socket(to_.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!sock_ ||
            ::connect(sock_.get(), reinterpret_cast<const sockaddr *>(&to_.addr), to_.len) < 0)
            return Error(errno, "connect to the receiver", {}, "");
        zcrx::RingConfig rc;
        rc.sq_entries = 4;
        rc.cq_entries = 16;
        Result<zcrx::Ring> ring = zcrx::Ring::create(rc);
        if (!ring)
            return std::move(ring).error();
        ring_.emplace(std::move(ring).value());
        // The receiver's go: it starts its clock, then says so.
        char go = 0;
        const ssize_t n = ::recv(sock_.get(), &go, 1, MSG_WAITALL);
        if (n != 1)
            return Error(n < 0 ? errno : ECONNRESET, "wait for the receiver to start", {}, "");
        return {};
    }

    // One SEND_ZC in flight at a time, with MSG_WAITALL: the socket's send
    // buffer keeps the flow going meanwhile, and the stream stays in order.
    void send_all(SendResult &r) {
        std::uint64_t pending_notifs = 0;
        std::optional<int> err;
        while ((r.bytes < s_.size && !err) || pending_notifs > 0) {
            if (r.bytes < s_.size && !err && !in_flight_) {
                const std::size_t len = static_cast<std::size_t>(
                    std::min<std::uint64_t>(s_.send_chunk, s_.size - r.bytes));
                const std::span<const std::byte> chunk =
                    data_.subspan(static_cast<std::size_t>(r.bytes % period_), len);
                io_uring_sqe *sqe = ring_->get_sqe();
                io_uring_prep_send_zc(sqe, sock_.get(), chunk.data(), chunk.size(),
                                      MSG_WAITALL | MSG_NOSIGNAL, send_zc_report_usage);
                io_uring_sqe_set_data64(sqe, sender_tag);
                in_flight_ = true;
            }
            if (Result<unsigned> w = ring_->submit_and_wait(1); !w) {
                r.error = std::move(w).error();
                return;
            }
            ring_->for_each_cqe([&](const io_uring_cqe &cqe) {
                if (cqe.flags & IORING_CQE_F_NOTIF) {
                    --pending_notifs;
                    if (static_cast<std::uint32_t>(cqe.res) & notif_usage_zc_copied)
                        ++r.copied_notifs;
                    return;
                }
                in_flight_ = false;
                if (cqe.flags & IORING_CQE_F_MORE)
                    ++pending_notifs;
                if (cqe.res >= 0)
                    r.bytes += static_cast<std::uint64_t>(cqe.res);
                else if (cqe.res != -EINTR && cqe.res != -EAGAIN)
                    err = -cqe.res;
            });
        }
        if (err) {
            r.error = Error(*err, "send at stream offset " + std::to_string(r.bytes), {},
                            *err == EPIPE || *err == ECONNRESET ? "the receiver went away" : "");
            return;
        }
        // Half-close, then wait for the receiver to close: it has seen it all.
        if (::shutdown(sock_.get(), SHUT_WR) < 0) {
            r.error = Error(errno, "shut down the sending side", {}, "");
            return;
        }
        char scratch[64];
        while (::recv(sock_.get(), scratch, sizeof(scratch), 0) > 0) {
        }
    }

    const Settings &s_;
    const zcrx::SocketAddress &to_;
    std::span<const std::byte> data_;
    std::size_t period_;
    Fd sock_;
    std::optional<zcrx::Ring> ring_; // after sock_: closed first
    bool in_flight_ = false;
};

// ---- the receivers ----

// What one run of a receiver saw.
struct Received {
    std::uint64_t bytes = 0;
    std::uint64_t completions = 0;
    bool verified = true; // every byte matched (or nothing was checked)
    std::optional<Error> error;
};

// Checks data at the stream offset it arrived at, if asked to.
class Checker {
public:
    Checker(const bench::PeriodicPattern &pattern, bool on) : pattern_(pattern), on_(on) {}
    void operator()(Received &r, std::span<const std::byte> data) const noexcept {
        if (on_ && r.verified && !pattern_.matches(r.bytes, data))
            r.verified = false;
        r.bytes += data.size();
    }

private:
    const bench::PeriodicPattern &pattern_;
    bool on_;
};

// epoll_wait, then recv() until EAGAIN; with trunc, MSG_TRUNC drops the data.
class EpollReceiver {
public:
    static Result<EpollReceiver> create(std::size_t read_size) {
        Fd ep(::epoll_create1(EPOLL_CLOEXEC));
        if (!ep)
            return Error(errno, "create an epoll instance", {}, "");
        return EpollReceiver(std::move(ep), read_size);
    }

    void receive(int sock, bool trunc, const Checker &check, Received &r) {
        const int fl = ::fcntl(sock, F_GETFL);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = sock;
        if (fl < 0 || ::fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0 ||
            ::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, sock, &ev) < 0) {
            r.error = Error(errno, "add the socket to epoll", {}, "");
            return;
        }
        const int flags = MSG_DONTWAIT | (trunc ? MSG_TRUNC : 0);
        for (;;) {
            epoll_event out{};
            const int ne = ::epoll_wait(ep_.get(), &out, 1, -1);
            if (ne < 0 && errno != EINTR) {
                r.error = Error(errno, "wait in epoll", {}, "");
                return;
            }
            for (;;) {
                const ssize_t n = ::recv(sock, buf_.data(), buf_.size(), flags);
                if (n > 0) {
                    ++r.completions;
                    const std::size_t got = static_cast<std::size_t>(n);
                    if (trunc)
                        r.bytes += got;
                    else
                        check(r, std::span<const std::byte>(buf_).first(got));
                    continue;
                }
                if (n == 0)
                    return;
                if (errno == EAGAIN || errno == EINTR)
                    break;
                r.error = Error(errno, "recv", {}, "");
                return;
            }
        }
    }

private:
    EpollReceiver(Fd ep, std::size_t read_size) : ep_(std::move(ep)), buf_(read_size) {}

    Fd ep_;
    std::vector<std::byte> buf_;
};

// io_uring multishot recv into provided buffers (a buffer ring): the kernel
// copies into them; each buffer goes back to the ring once it is seen.
class UringReceiver {
public:
    static constexpr std::uint16_t group = 0;

    static Result<UringReceiver> create(std::uint32_t buf_size, std::uint32_t count) {
        zcrx::RingConfig rc;
        rc.sq_entries = 8;
        rc.cq_entries = std::max<std::uint32_t>(2 * count, 64);
        Result<zcrx::Ring> ring = zcrx::Ring::create(rc);
        if (!ring)
            return std::move(ring).error();
        Result<zcrx::Mapping> ring_mem = zcrx::Mapping::anonymous(
            sizeof(io_uring_buf) * count, false, "map the provided-buffer ring");
        if (!ring_mem)
            return std::move(ring_mem).error();
        Result<zcrx::Mapping> bufs = zcrx::Mapping::anonymous(std::size_t{buf_size} * count, false,
                                                              "map the provided buffers");
        if (!bufs)
            return std::move(bufs).error();
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(ring_mem->bytes().data());
        reg.ring_entries = count;
        reg.bgid = group;
        if (const int ret = io_uring_register_buf_ring(ring->native(), &reg, 0); ret < 0)
            return Error(-ret, "register a ring of " + std::to_string(count) + " buffers", {},
                         "provided-buffer rings need Linux 5.19 or later");
        UringReceiver u(std::move(ring).value(), std::move(ring_mem).value(),
                        std::move(bufs).value(), buf_size, count);
        u.refill_all();
        return u;
    }

    void receive(int sock, const Checker &check, Received &r) {
        bool armed = false;
        bool done = false;
        while (!done) {
            if (!armed) {
                io_uring_sqe *sqe = ring_.get_sqe();
                io_uring_prep_recv_multishot(sqe, sock, nullptr, 0, 0);
                sqe->flags |= IOSQE_BUFFER_SELECT;
                sqe->buf_group = group;
                io_uring_sqe_set_data64(sqe, recv_tag);
                armed = true;
            }
            if (Result<unsigned> w = ring_.submit_and_wait(1); !w) {
                r.error = std::move(w).error();
                return;
            }
            unsigned returned = 0;
            int err = 0;
            ring_.for_each_cqe([&](const io_uring_cqe &cqe) {
                if (cqe.user_data != recv_tag)
                    return;
                if (!(cqe.flags & IORING_CQE_F_MORE))
                    armed = false;
                if (cqe.flags & IORING_CQE_F_BUFFER) {
                    const auto bid =
                        static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
                    std::byte *b = buffer(bid);
                    if (cqe.res > 0) {
                        ++r.completions;
                        check(r, {b, static_cast<std::size_t>(cqe.res)});
                    }
                    io_uring_buf_ring_add(br_, b, buf_size_, bid, mask_,
                                          static_cast<int>(returned++));
                }
                if (cqe.res == 0 && !armed)
                    done = true;
                else if (cqe.res < 0 && cqe.res != -ENOBUFS && cqe.res != -EINTR)
                    err = -cqe.res;
            });
            if (returned)
                io_uring_buf_ring_advance(br_, static_cast<int>(returned));
            if (err) {
                r.error = Error(err, "multishot recv", {}, "");
                return;
            }
        }
    }

private:
    UringReceiver(zcrx::Ring ring, zcrx::Mapping ring_mem, zcrx::Mapping bufs,
                  std::uint32_t buf_size, std::uint32_t count)
        : ring_(std::move(ring)), ring_mem_(std::move(ring_mem)), bufs_(std::move(bufs)),
          br_(reinterpret_cast<io_uring_buf_ring *>(ring_mem_.bytes().data())), buf_size_(buf_size),
          count_(count), mask_(io_uring_buf_ring_mask(count)) {}

    std::byte *buffer(std::uint16_t bid) noexcept {
        return bufs_.bytes().data() + std::size_t{bid % count_} * buf_size_;
    }

    void refill_all() noexcept {
        io_uring_buf_ring_init(br_);
        for (std::uint32_t i = 0; i < count_; ++i)
            io_uring_buf_ring_add(br_, buffer(static_cast<std::uint16_t>(i)), buf_size_,
                                  static_cast<unsigned short>(i), mask_, static_cast<int>(i));
        io_uring_buf_ring_advance(br_, static_cast<int>(count_));
    }

    zcrx::Ring ring_; // first: the kernel lets go of the buffers when it closes
    zcrx::Mapping ring_mem_;
    zcrx::Mapping bufs_;
    io_uring_buf_ring *br_;
    std::uint32_t buf_size_;
    std::uint32_t count_;
    int mask_;
};

// io_uring zero-copy receive; each buffer goes back as soon as it is seen.
// The interface queue stays registered for the whole benchmark.
class ZcrxReceiver {
public:
    static Result<ZcrxReceiver> create(const Settings &s, bool say) {
        Result<std::uint32_t> ifindex = zcrx::interface_index(s.ifname);
        if (!ifindex)
            return std::move(ifindex).error();
        Result<zcrx::Ring> ring = zcrx::Ring::create();
        if (!ring)
            return std::move(ring).error();
        Result<bool> has = ring->supports_op(zcrx::uapi::op_recv_zc);
        if (!has)
            return std::move(has).error();
        if (!*has)
            return Error(EOPNOTSUPP, "find IORING_OP_RECV_ZC", {},
                         "the kernel lacks it: it needs Linux 6.15 or later, or the zcrx "
                         "patch series");
        zcrx::IfqConfig ic;
        ic.if_index = *ifindex;
        ic.if_name = s.ifname;
        ic.rx_queue = s.queue;
        ic.area_size = s.area_size;
        ic.rq_entries = s.rq_entries;
        ic.huge_pages = s.huge_pages;
        ic.rx_buf_len = s.rx_buf_len;
        // A ring closed just before (another program's, an earlier run's)
        // lets go of the queue in the background. The zcrx series makes the
        // registration wait for that; upstream kernels say EEXIST until then.
        const Clock::time_point give_up = Clock::now() + ifq_busy_wait;
        for (bool said = false;; said = true) {
            Result<std::reference_wrapper<zcrx::Ifq>> ifq = ring->register_ifq(ic);
            if (ifq)
                return ZcrxReceiver(std::move(ring).value());
            if (ifq.error().err != EEXIST || Clock::now() > give_up)
                return std::move(ifq).error();
            if (say && !said)
                std::fprintf(stderr,
                             "zcrx-bench: %s queue %u is still taken; waiting up to "
                             "%lld s for it\n",
                             s.ifname.c_str(), s.queue,
                             static_cast<long long>(ifq_busy_wait.count()));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }

    void receive(int sock, const Checker &check, Received &r) {
        zcrx::Ifq &ifq = ring_.ifq(0);
        zcrx::Receive rx(ifq, sock, recv_tag);
        if (Result<void> a = rx.arm(ring_); !a) {
            r.error = std::move(a).error();
            return;
        }
        int chunk_err = 0;
        while (!rx.done()) {
            if (Result<unsigned> w = ring_.submit_and_wait(1); !w) {
                r.error = std::move(w).error();
                return;
            }
            ring_.for_each_cqe([&](const io_uring_cqe &cqe) {
                if (cqe.user_data != recv_tag) {
                    zcrx::discard_cqe(ifq.refill(), cqe);
                    return;
                }
                zcrx::Receive::Event ev = rx.on_cqe(cqe);
                if (ev.kind == zcrx::CqeKind::data) {
                    ++r.completions;
                    check(r, ev.buffer.data());
                } else if (ev.kind == zcrx::CqeKind::error && chunk_err == 0) {
                    chunk_err = ev.err;
                }
            }); // every buffer is back here
            if (rx.needs_arm())
                if (Result<void> a = rx.arm(ring_); !a) {
                    r.error = std::move(a).error();
                    return;
                }
        }
        ifq.refill().flush();
        if (rx.end_error())
            r.error = rx.error("zero-copy receive");
        else if (chunk_err)
            r.error = Error(chunk_err, "zero-copy receive", {},
                            std::string(zcrx::recv_errno_advice(chunk_err)));
    }

    [[nodiscard]] std::optional<zcrx::KernelIfqStats> kernel_stats() const {
        return zcrx::read_ifq_stats(ring_.fd());
    }

private:
    // The ring owns its one ifq, ring_.ifq(0).
    explicit ZcrxReceiver(zcrx::Ring ring) : ring_(std::move(ring)) {}

    zcrx::Ring ring_;
};

// ---- runs, rounds and figures ----

struct Sample {
    Mode mode = Mode::epoll;
    std::uint64_t round = 0;
    std::uint64_t bytes = 0;
    double seconds = 0;
    double rx_cpu_s = 0;    // receiving CPU's busy time
    double total_cpu_s = 0; // all CPUs' busy time
    double rx_busy = 0;     // share of the receiving CPU's time it was busy
    double tx_busy = 0;     // the same for the sender's CPU
    std::uint64_t completions = 0;
    std::optional<bool> verified;
    std::optional<double> zero_copy_percent; // zcrx: the kernel's count
    std::uint64_t sender_copied = 0;         // zero-copy sends that copied

    [[nodiscard]] double gib_moved() const noexcept { return static_cast<double>(bytes) / gib; }
    [[nodiscard]] double gbit_per_s() const noexcept {
        return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e9 : 0;
    }
    [[nodiscard]] double rx_cpu_per_gib() const noexcept {
        return bytes ? rx_cpu_s / gib_moved() : 0;
    }
    [[nodiscard]] double total_cpu_per_gib() const noexcept {
        return bytes ? total_cpu_s / gib_moved() : 0;
    }
    [[nodiscard]] double completions_per_gib() const noexcept {
        return bytes ? static_cast<double>(completions) / gib_moved() : 0;
    }
};

// The figures reported per mode, each a function of a sample.
struct Figure {
    std::string_view key;  // JSON name
    std::string_view head; // table heading
    double (*of)(const Sample &);
    const char *format; // printf format of one value
};

constexpr Figure figures[] = {
    {"gbit_per_s", "Gbit/s", [](const Sample &x) { return x.gbit_per_s(); }, "%.3f"},
    {"rx_cpu_s_per_gib", "rx CPU s/GiB", [](const Sample &x) { return x.rx_cpu_per_gib(); },
     "%.2f"},
    {"total_cpu_s_per_gib", "all CPU s/GiB", [](const Sample &x) { return x.total_cpu_per_gib(); },
     "%.2f"},
    {"completions_per_gib", "compl/GiB", [](const Sample &x) { return x.completions_per_gib(); },
     "%.0f"},
    {"rx_busy", "rx busy", [](const Sample &x) { return x.rx_busy; }, "%.2f"},
    {"tx_busy", "tx busy", [](const Sample &x) { return x.tx_busy; }, "%.2f"},
};

double ticks_to_s(std::uint64_t ticks) {
    static const long hz = ::sysconf(_SC_CLK_TCK);
    return static_cast<double>(ticks) / static_cast<double>(hz > 0 ? hz : 100);
}

double share(const bench::CpuTicks &t) {
    return t.total ? static_cast<double>(t.busy) / static_cast<double>(t.total) : 0;
}

class Bench {
public:
    Bench(const Settings &s, std::string accel)
        : s_(s), accel_(std::move(accel)),
          pattern_(bench::PeriodicPattern::default_period, s.send_chunk) {}

    Result<void> setup() {
        if (Result<void> ok = pin_to(s_.receiver_cpu, "receiver"); !ok)
            return ok;
        Result<std::uint32_t> mtu = interface_mtu(s_.ifname);
        if (!mtu)
            return std::move(mtu).error();
        mtu_ = *mtu;
        const auto uses = [&](Mode m) {
            return std::find(s_.modes.begin(), s_.modes.end(), m) != s_.modes.end();
        };
        if (uses(Mode::zcrx)) {
            Result<ZcrxReceiver> z = ZcrxReceiver::create(s_, !s_.quiet);
            if (!z)
                return std::move(z).error();
            zcrx_.emplace(std::move(z).value());
            Result<Fd> l = zcrx::listen_tcp(s_.address, s_.port, 4);
            if (!l)
                return std::move(l).error();
            zcrx_listener_ = std::move(l).value();
            zcrx_addr_ = zcrx::local_address(zcrx_listener_.get());
        }
        if (uses(Mode::epoll) || uses(Mode::trunc) || uses(Mode::uring)) {
            Result<Fd> l = zcrx::listen_tcp(s_.address, s_.copy_port, 4);
            if (!l)
                return std::move(l).error();
            copy_listener_ = std::move(l).value();
            copy_addr_ = zcrx::local_address(copy_listener_.get());
        }
        if (uses(Mode::epoll) || uses(Mode::trunc)) {
            Result<EpollReceiver> e = EpollReceiver::create(s_.read_size);
            if (!e)
                return std::move(e).error();
            epoll_.emplace(std::move(e).value());
        }
        if (uses(Mode::uring)) {
            Result<UringReceiver> u = UringReceiver::create(s_.buf_size, s_.bufs);
            if (!u)
                return std::move(u).error();
            uring_.emplace(std::move(u).value());
        }
        return {};
    }

    // Every round runs every mode, starting one mode later each round.
    Result<void> run() {
        if (!s_.quiet)
            std::fprintf(stderr,
                         "zcrx-bench: %s queue %u, MTU %u, %llu round%s of %s per mode, one TCP "
                         "flow%s%s\n",
                         s_.ifname.c_str(), s_.queue, mtu_,
                         static_cast<unsigned long long>(s_.rounds), s_.rounds == 1 ? "" : "s",
                         cli::format_size(s_.size).c_str(), accel_.empty() ? "" : ", under ",
                         accel_.c_str());
        for (std::uint64_t round = 0; round < s_.rounds; ++round) {
            for (std::size_t i = 0; i < s_.modes.size(); ++i) {
                const Mode m = s_.modes[(i + round) % s_.modes.size()];
                Result<Sample> x = run_once(m, round + 1);
                if (!x)
                    return Error(x.error().err,
                                 std::string(mode_name(m)) + " run of round " +
                                     std::to_string(round + 1) + ": " + x.error().what,
                                 x.error().detail, x.error().advice);
                if (!s_.quiet)
                    progress(*x);
                samples_.push_back(*x);
            }
        }
        return {};
    }

    [[nodiscard]] bool data_ok() const noexcept {
        return std::all_of(samples_.begin(), samples_.end(), [&](const Sample &x) {
            return x.bytes == s_.size && x.verified.value_or(true);
        });
    }

    void print_text() const {
        const std::string tag = accel_.empty() ? "" : " (" + accel_ + ")";
        std::printf("MTU %u, %llu x %s per mode, medians (min-max)%s:\n", mtu_,
                    static_cast<unsigned long long>(s_.rounds), cli::format_size(s_.size).c_str(),
                    tag.c_str());
        // Cells first, then columns as wide as their widest cell.
        std::vector<std::vector<std::string>> table(1, std::vector<std::string>{"mode"});
        for (const Figure &f : figures)
            table[0].emplace_back(f.head);
        for (const Mode m : s_.modes) {
            std::vector<std::string> &row = table.emplace_back(1, std::string(mode_name(m)));
            for (const Figure &f : figures) {
                const bench::Spread sp = spread(m, f);
                row.push_back(format(f.format, sp.median) + " (" + format(f.format, sp.min) + "-" +
                              format(f.format, sp.max) + ")");
            }
        }
        std::vector<std::size_t> width(table[0].size(), 0);
        for (const std::vector<std::string> &row : table)
            for (std::size_t i = 0; i < row.size(); ++i)
                width[i] = std::max(width[i], row[i].size());
        for (const std::vector<std::string> &row : table) {
            std::string line;
            for (std::size_t i = 0; i < row.size(); ++i)
                line += row[i] + std::string(width[i] - row[i].size() + 2, ' ');
            line.erase(line.find_last_not_of(' ') + 1);
            std::printf("%s\n", line.c_str());
        }
        for (const Ratio &r : ratios())
            std::printf("%s: %s\n", r.key.c_str(),
                        std::isfinite(r.value) ? format("%.2f", r.value).c_str() : "n/a");
        if (has(Mode::zcrx)) {
            const Sample *z = first(Mode::zcrx);
            if (z && z->zero_copy_percent)
                std::printf("zcrx: %.1f%% of the bytes placed without a copy (kernel count)\n",
                            median_zero_copy());
        }
        if (has(Mode::zcrx) && has(Mode::epoll))
            std::printf("zcrx %.2fx the throughput of epoll+recv, %.2fx its receiver CPU per GiB "
                        "(same run, medians of %llu round%s%s%s)\n",
                        ratio(Mode::zcrx, Mode::epoll, figures[0]),
                        ratio(Mode::zcrx, Mode::epoll, figures[1]),
                        static_cast<unsigned long long>(s_.rounds), s_.rounds == 1 ? "" : "s",
                        accel_.empty() ? "" : ", ", accel_.c_str());
    }

    void print_json() const {
        zcrx::Json j = zcrx::json_document();
        j["mtu"] = mtu_;
        j["accel"] = accel_.empty() ? "none" : accel_;
        j["ifname"] = s_.ifname;
        j["queue"] = s_.queue;
        j["rounds"] = s_.rounds;
        j["bytes_per_run"] = s_.size;
        j["verify"] = s_.verify;
        j["rx_buf_len"] = s_.rx_buf_len;
        j["huge_pages"] = s_.huge_pages;
        zcrx::Json &modes = j["modes"] = zcrx::Json::object();
        for (const Mode m : s_.modes) {
            zcrx::Json &mode = modes[std::string(mode_name(m))] = zcrx::Json::object();
            zcrx::Json spreads = zcrx::Json::object();
            for (const Figure &f : figures) {
                const bench::Spread sp = spread(m, f);
                mode[std::string(f.key)] = sp.median;
                spreads[std::string(f.key)] = {sp.min, sp.max};
            }
            mode["spread"] = std::move(spreads);
            if (m == Mode::zcrx)
                mode["zero_copy_percent"] = median_zero_copy();
        }
        zcrx::Json &ratios_of = j["ratios"] = zcrx::Json::object();
        for (const Ratio &r : ratios())
            ratios_of[r.key] = r.value;
        zcrx::Json &samples = j["samples"] = zcrx::Json::array();
        for (const Sample &x : samples_) {
            zcrx::Json o = {{"mode", mode_name(x.mode)},
                            {"round", x.round},
                            {"bytes", x.bytes},
                            {"seconds", x.seconds}};
            for (const Figure &f : figures)
                o[std::string(f.key)] = f.of(x);
            o["completions"] = x.completions;
            o["verified"] = zcrx::json_or_null(x.verified);
            o["sender_copied_sends"] = x.sender_copied;
            samples.push_back(std::move(o));
        }
        j["ok"] = data_ok();
        zcrx::print_json_line(j);
    }

private:
    struct Ratio {
        std::string key;
        double value;
    };

    Result<Sample> run_once(Mode m, std::uint64_t round) {
        const bool zc = m == Mode::zcrx;
        const int listener = zc ? zcrx_listener_.get() : copy_listener_.get();
        Sender sender(s_, zc ? zcrx_addr_ : copy_addr_, pattern_.at(0, SIZE_MAX),
                      pattern_.period());
        SendResult sent;
        std::jthread thread([&] { sent = sender.run(); });

        pollfd pfd{listener, POLLIN, 0};
        const int pr = ::poll(&pfd, 1, accept_timeout_ms);
        if (pr <= 0)
            // The sender failed before connecting; its thread has ended.
            return sender_failed(thread, sent, pr < 0 ? errno : ETIMEDOUT);
        Fd sock(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
        if (!sock)
            return Error(errno, "accept the sender's connection", {}, "");

        const std::optional<zcrx::KernelIfqStats> k0 = zc ? zcrx_->kernel_stats() : std::nullopt;
        const std::optional<std::vector<bench::CpuTicks>> c0 = bench::read_proc_stat();
        if (!c0)
            return Error(EIO, "read /proc/stat", {}, "is /proc mounted?");
        const Clock::time_point t0 = Clock::now();
        const char go = 1;
        if (::send(sock.get(), &go, 1, MSG_NOSIGNAL) != 1)
            return Error(errno, "tell the sender to start", {}, "");

        Received r;
        const Checker check(pattern_, s_.verify && m != Mode::trunc);
        switch (m) {
        case Mode::epoll:
        case Mode::trunc:
            epoll_->receive(sock.get(), m == Mode::trunc, check, r);
            break;
        case Mode::uring:
            uring_->receive(sock.get(), check, r);
            break;
        case Mode::zcrx:
            zcrx_->receive(sock.get(), check, r);
            break;
        }
        const Clock::time_point t1 = Clock::now();
        const std::optional<std::vector<bench::CpuTicks>> c1 = bench::read_proc_stat();
        const std::optional<zcrx::KernelIfqStats> k1 = zc ? zcrx_->kernel_stats() : std::nullopt;
        sock.reset(); // the sender waits for this
        thread.join();

        if (r.error)
            return *r.error;
        if (sent.error)
            return Error(sent.error->err, "sender: " + sent.error->what, sent.error->detail,
                         sent.error->advice);
        if (!c1)
            return Error(EIO, "read /proc/stat", {}, "is /proc mounted?");
        Sample x;
        x.mode = m;
        x.round = round;
        x.bytes = r.bytes;
        x.seconds = std::chrono::duration<double>(t1 - t0).count();
        x.completions = r.completions;
        x.total_cpu_s = ticks_to_s(bench::busy_between(*c0, *c1));
        if (s_.receiver_cpu) {
            const bench::CpuTicks t =
                bench::ticks_between(*c0, *c1, static_cast<std::size_t>(*s_.receiver_cpu));
            x.rx_cpu_s = ticks_to_s(t.busy);
            x.rx_busy = share(t);
        }
        if (s_.sender_cpu)
            x.tx_busy =
                share(bench::ticks_between(*c0, *c1, static_cast<std::size_t>(*s_.sender_cpu)));
        if (s_.verify && m != Mode::trunc)
            x.verified = r.verified;
        if (k0 && k1) {
            const std::uint64_t zcb = k1->zero_copy_bytes - k0->zero_copy_bytes;
            const std::uint64_t cb = k1->copy_bytes - k0->copy_bytes;
            x.zero_copy_percent =
                zcb + cb ? 100.0 * static_cast<double>(zcb) / static_cast<double>(zcb + cb) : 0.0;
        }
        x.sender_copied = sent.copied_notifs;
        if (x.bytes != s_.size)
            return Error(EIO,
                         "received " + std::to_string(x.bytes) + " bytes, sent " +
                             std::to_string(sent.bytes),
                         {}, "the connection ended early");
        if (x.verified == false)
            return Error(EILSEQ, "the data received differs from the data sent", {},
                         "a receive path delivered wrong, lost or reordered bytes");
        return x;
    }

    Error sender_failed(std::jthread &thread, const SendResult &sent, int err) {
        thread.join();
        if (sent.error)
            return Error(sent.error->err, "sender: " + sent.error->what, sent.error->detail,
                         sent.error->advice);
        return Error(err, "wait for the sender to connect", {}, "");
    }

    void progress(const Sample &x) const {
        const std::string tag = accel_.empty() ? "" : " (" + accel_ + ")";
        std::fprintf(stderr,
                     "round %llu/%llu %-5.*s %s in %.2f s: %.3f Gbit/s%s, rx CPU %.2f s/GiB, all "
                     "CPUs %.2f s/GiB, %.0f completions/GiB, rx busy %.0f%%, tx busy %.0f%%",
                     static_cast<unsigned long long>(x.round),
                     static_cast<unsigned long long>(s_.rounds),
                     static_cast<int>(mode_name(x.mode).size()), mode_name(x.mode).data(),
                     cli::format_size(x.bytes).c_str(), x.seconds, x.gbit_per_s(), tag.c_str(),
                     x.rx_cpu_per_gib(), x.total_cpu_per_gib(), x.completions_per_gib(),
                     100 * x.rx_busy, 100 * x.tx_busy);
        if (x.zero_copy_percent)
            std::fprintf(stderr, ", %.1f%% zero copy", *x.zero_copy_percent);
        if (x.verified)
            std::fprintf(stderr, ", %s", *x.verified ? "verified" : "MISMATCH");
        if (x.sender_copied)
            std::fprintf(stderr, ", sender copied %llu sends",
                         static_cast<unsigned long long>(x.sender_copied));
        std::fprintf(stderr, "\n");
    }

    [[nodiscard]] bool has(Mode m) const noexcept {
        return std::find(s_.modes.begin(), s_.modes.end(), m) != s_.modes.end();
    }

    [[nodiscard]] const Sample *first(Mode m) const noexcept {
        const auto it = std::find_if(samples_.begin(), samples_.end(),
                                     [&](const Sample &x) { return x.mode == m; });
        return it == samples_.end() ? nullptr : &*it;
    }

    [[nodiscard]] bench::Spread spread(Mode m, const Figure &f) const {
        std::vector<double> v;
        for (const Sample &x : samples_)
            if (x.mode == m)
                v.push_back(f.of(x));
        return bench::spread_of(std::move(v));
    }

    [[nodiscard]] double median_zero_copy() const {
        std::vector<double> v;
        for (const Sample &x : samples_)
            if (x.zero_copy_percent)
                v.push_back(*x.zero_copy_percent);
        return bench::spread_of(std::move(v)).median;
    }

    [[nodiscard]] double ratio(Mode a, Mode b, const Figure &f) const {
        const double den = spread(b, f).median;
        return den > 0 ? spread(a, f).median / den : NAN;
    }

    // Every mode's medians over epoll's, and zcrx's throughput over the
    // ceiling's: "zcrx_over_epoll_throughput" and the like.
    [[nodiscard]] std::vector<Ratio> ratios() const {
        struct Named {
            std::string_view name;
            const Figure &figure;
        };
        const std::array<Named, 3> which = {Named{"throughput", figures[0]},
                                            Named{"rx_cpu_per_gib", figures[1]},
                                            Named{"total_cpu_per_gib", figures[2]}};
        std::vector<Ratio> out;
        const auto add = [&](Mode a, Mode b, const Named &n) {
            if (has(a) && has(b))
                out.push_back({std::string(mode_name(a)) + "_over_" + std::string(mode_name(b)) +
                                   "_" + std::string(n.name),
                               ratio(a, b, n.figure)});
        };
        for (const Mode m : all_modes)
            if (m != Mode::epoll)
                for (const Named &n : which)
                    add(m, Mode::epoll, n);
        add(Mode::zcrx, Mode::trunc, which[0]);
        add(Mode::zcrx, Mode::uring, which[0]);
        return out;
    }

    static std::string format(const char *fmt, double v) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), fmt, v);
        return buf;
    }

    const Settings &s_;
    std::string accel_;
    bench::PeriodicPattern pattern_; // what the sender sends, read-only
    std::uint32_t mtu_ = 0;
    zcrx::SocketAddress zcrx_addr_; // the listeners', for the sender to connect to
    zcrx::SocketAddress copy_addr_;
    std::optional<ZcrxReceiver> zcrx_; // its ring holds the queue until the end
    std::optional<EpollReceiver> epoll_;
    std::optional<UringReceiver> uring_;
    Fd zcrx_listener_;
    Fd copy_listener_;
    std::vector<Sample> samples_;
};

std::vector<Mode> parse_modes(std::string_view list) {
    std::vector<Mode> modes;
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view name = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        const auto it = std::find_if(all_modes.begin(), all_modes.end(),
                                     [&](Mode m) { return mode_name(m) == name; });
        if (it == all_modes.end())
            throw cli::UsageError("--modes: '" + std::string(name) +
                                  "' is not one of epoll, uring, zcrx, trunc");
        if (std::find(modes.begin(), modes.end(), *it) != modes.end())
            throw cli::UsageError("--modes: " + std::string(name) + " given twice");
        modes.push_back(*it);
    }
    if (modes.empty())
        throw cli::UsageError("--modes: name at least one mode");
    return modes;
}

std::optional<int> cpu_option(const cli::Args &args, std::string_view name) {
    if (!args.has(name))
        return std::nullopt;
    return static_cast<int>(args.count_or(name, 0, 0, CPU_SETSIZE - 1));
}

int run(const Settings &s) {
    Bench b(s, hypervisor());
    if (Result<void> ok = b.setup(); !ok) {
        zcrx::print_failure("zcrx-bench", ok.error(), s.json);
        const int err = ok.error().err;
        return err == EOPNOTSUPP || err == ENODATA ? cli::exit_unsupported : cli::exit_runtime;
    }
    const Result<void> ran = b.run();
    if (!ran) {
        zcrx::print_failure("zcrx-bench", ran.error(), s.json);
        return ran.error().err == EIO || ran.error().err == EILSEQ ? cli::exit_data
                                                                   : cli::exit_runtime;
    }
    if (s.json)
        b.print_json();
    else
        b.print_text();
    return b.data_ok() ? cli::exit_ok : cli::exit_data;
}

} // namespace

int main(int argc, char **argv) {
    return cli::run_tool(
        "zcrx-bench", options, argc, argv, help_text, cli::exit_runtime, [](const cli::Args &args) {
            args.expect_positional(2, 2, "ADDRESS PORT");
            Settings s;
            s.address = std::string(args.positional()[0]);
            s.port = cli::parse_port(args.positional()[1], "PORT");
            s.copy_port = args.has("copy-port")
                              ? cli::parse_port(args.required("copy-port"), "--copy-port")
                              : static_cast<std::uint16_t>(s.port + 1);
            if (s.copy_port == s.port)
                throw cli::UsageError("--copy-port must differ from PORT (PORT is steered to Q)");
            s.ifname = std::string(args.required("ifname"));
            s.queue = static_cast<std::uint32_t>(
                cli::parse_count(args.required("queue"), "--queue", 0, UINT32_MAX));
            s.modes = parse_modes(args.value("modes").value_or("epoll,uring,zcrx,trunc"));
            s.rounds = args.count_or("rounds", 5, 1, 1000);
            s.size = args.size_or("size", s.size, 1, std::uint64_t{1} << 40);
            if (const auto ns = args.value("sender-netns"))
                s.sender_netns = std::string(*ns);
            s.sender_cpu = cpu_option(args, "sender-cpu");
            s.receiver_cpu = cpu_option(args, "receiver-cpu");
            s.send_chunk = static_cast<std::size_t>(
                args.size_or("send-chunk", s.send_chunk, 4096, std::uint64_t{64} << 20));
            s.read_size = static_cast<std::size_t>(
                args.size_or("read-size", s.read_size, 1, std::uint64_t{64} << 20));
            s.buf_size = static_cast<std::uint32_t>(
                args.size_or("buf-size", s.buf_size, 1, std::uint64_t{1} << 20));
            s.bufs = static_cast<std::uint32_t>(args.count_or("bufs", s.bufs, 1, 32768));
            if (!zcrx::is_power_of_two(s.bufs))
                throw cli::UsageError("--bufs: " + std::to_string(s.bufs) +
                                      " is not a power of two");
            s.area_size = args.size_or("area-size", s.area_size, 1, zcrx::max_area_len);
            s.rq_entries = static_cast<std::uint32_t>(
                args.count_or("rq-entries", s.rq_entries, 1, zcrx::max_rq_entries));
            s.huge_pages = args.has("huge-pages");
            s.rx_buf_len = static_cast<std::uint32_t>(args.size_or("rx-buf-len", 0, 0, UINT32_MAX));
            s.verify = args.has("verify");
            s.json = args.has("json");
            s.quiet = args.has("quiet");
            // A receiver that goes away must be an error from send(), not a signal.
            ::signal(SIGPIPE, SIG_IGN);
            return run(s);
        });
}
