// zcrx-fuzz sqe: random IORING_OP_RECV_ZC submissions.
//
// Every field of the SQE is drawn at random around a valid request on a
// connected loopback TCP socket (copy fallback: the data is copied into the
// area), on a ring with a registered interface queue. Each request's final
// CQE must be what the io_uring core and the series document for the first
// thing wrong with it (flags, then personality, then the fields RECV_ZC's
// prep checks, then the file); a request that is armed is cancelled. The
// data that valid requests receive on the way must be the pattern, in order.
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common.hpp"
#include "zcrx/area.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/net.hpp"
#include "zcrx/pattern.hpp"
#include "zcrx/recv.hpp"

namespace fuzz {

namespace {

using zcrx::Fd;

enum class FdKind { connected, listening, unconnected, udp, pipe, devnull, ring, closed, huge };
constexpr std::array fd_kinds = {FdKind::connected, FdKind::connected,   FdKind::connected,
                                 FdKind::listening, FdKind::unconnected, FdKind::udp,
                                 FdKind::pipe,      FdKind::devnull,     FdKind::ring,
                                 FdKind::closed,    FdKind::huge};

const char *fd_name(FdKind k) {
    switch (k) {
    case FdKind::connected:
        return "connected TCP socket";
    case FdKind::listening:
        return "listening TCP socket";
    case FdKind::unconnected:
        return "unconnected TCP socket";
    case FdKind::udp:
        return "UDP socket";
    case FdKind::pipe:
        return "pipe";
    case FdKind::devnull:
        return "/dev/null";
    case FdKind::ring:
        return "the ring itself";
    case FdKind::closed:
        return "closed fd";
    case FdKind::huge:
        return "fd never opened";
    }
    return "?";
}

struct Fds {
    Fd server, client, listener, unconnected, udp, pipe_r, pipe_w, devnull;
    int closed = -1;
};

Fds open_fds() {
    Fds f;
    zcrx::Result<std::pair<Fd, Fd>> pair = loopback_pair();
    if (!pair)
        throw std::runtime_error(pair.error().message());
    f.server = std::move(pair->first);
    f.client = std::move(pair->second);
    zcrx::Result<Fd> l = zcrx::listen_tcp("127.0.0.1", 0, 1);
    if (!l)
        throw std::runtime_error(l.error().message());
    f.listener = std::move(l).value();
    f.unconnected = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    f.udp = Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0)
        throw std::runtime_error("pipe: " + errno_string(errno));
    f.pipe_r = Fd(p[0]);
    f.pipe_w = Fd(p[1]);
    f.devnull = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    Fd gone(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    f.closed = gone.get(); // closed below, and its number not reused by us
    if (!f.unconnected || !f.udp || !f.devnull || !gone)
        throw std::runtime_error("open the fds to fuzz with: " + errno_string(errno));
    return f;
}

struct Input {
    FdKind fd = FdKind::connected;
    std::string kind;    // the first thing wrong with it, or "valid"
    int expected = 0;    // its errno, 0 for a valid request
    int also = 0;        // POLL_FIRST on a file that never gets ready: cancelled
    int also2 = 0;       // io-wq's rule for multishot requests (see below)
    bool blocks = false; // it waits for data: cancelled at once
};

// An SQE with every field random, biased towards a valid request so that
// each check is reached with the ones before it passed.
Input make_input(std::mt19937_64 &rng, const Fds &f, int ring_fd, io_uring_sqe &sqe) {
    Input in;
    sqe = io_uring_sqe{};
    sqe.opcode = zcrx::uapi::op_recv_zc;
    in.fd = fd_kinds[pick<std::size_t>(rng, 0, fd_kinds.size() - 1)];
    switch (in.fd) {
    case FdKind::connected:
        sqe.fd = f.server.get();
        break;
    case FdKind::listening:
        sqe.fd = f.listener.get();
        break;
    case FdKind::unconnected:
        sqe.fd = f.unconnected.get();
        break;
    case FdKind::udp:
        sqe.fd = f.udp.get();
        break;
    case FdKind::pipe:
        sqe.fd = f.pipe_r.get();
        break;
    case FdKind::devnull:
        sqe.fd = f.devnull.get();
        break;
    case FdKind::ring:
        sqe.fd = ring_fd;
        break;
    case FdKind::closed:
        sqe.fd = f.closed;
        break;
    case FdKind::huge:
        sqe.fd = one_in(rng, 2) ? -1 : pick(rng, 100000, INT_MAX);
        break;
    }
    const auto rare = [&rng] { return one_in(rng, 12); };
    if (rare())
        sqe.flags |= IOSQE_FIXED_FILE;
    if (rare())
        sqe.flags |= IOSQE_IO_DRAIN;
    if (rare())
        sqe.flags |= IOSQE_ASYNC;
    if (rare())
        sqe.flags |= IOSQE_BUFFER_SELECT;
    if (rare())
        sqe.flags |= 0x80; // no such flag
    sqe.ioprio = zcrx::uapi::recv_multishot;
    if (one_in(rng, 3))
        sqe.ioprio |= zcrx::uapi::recvsend_poll_first;
    if (rare())
        sqe.ioprio = static_cast<std::uint16_t>(rng());
    sqe.len = one_in(rng, 2) ? 0 : pick<std::uint32_t>(rng, 1, 65536);
    if (rare())
        sqe.len = one_in(rng, 2) ? UINT_MAX : static_cast<std::uint32_t>(rng());
    if (rare())
        sqe.addr = rng();
    if (rare())
        sqe.off = rng(); // addr2
    if (rare())
        sqe.addr3 = rng();
    if (rare())
        sqe.msg_flags = static_cast<std::uint32_t>(rng());
    if (one_in(rng, 4))
        sqe.buf_index = static_cast<std::uint16_t>(rng()); // unused by RECV_ZC
    if (rare())
        sqe.personality = static_cast<std::uint16_t>(rng()); // none registered
    std::uint32_t ifq_idx = rare() ? static_cast<std::uint32_t>(rng()) : 0;
    std::memcpy(reinterpret_cast<unsigned char *>(&sqe) + zcrx::uapi::sqe_zcrx_ifq_idx_offset,
                &ifq_idx, sizeof(ifq_idx));
    if (rare())
        sqe.__pad2[0] = rng(); // ignored by every opcode

    const unsigned ioprio_ok = zcrx::uapi::recv_multishot | zcrx::uapi::recvsend_poll_first;
    if (sqe.flags & 0x80)
        in = {in.fd, "unknown sqe flag", EINVAL};
    else if (sqe.flags & IOSQE_BUFFER_SELECT)
        in = {in.fd, "IOSQE_BUFFER_SELECT", EOPNOTSUPP};
    else if (sqe.personality)
        in = {in.fd, "unregistered personality", EINVAL};
    else if (sqe.addr || sqe.off || sqe.addr3 || sqe.msg_flags)
        in = {in.fd, "non-zero addr, addr2, addr3 or msg_flags", EINVAL};
    else if (ifq_idx != 0)
        in = {in.fd, "ifq index naming no ifq (the ring holds 0)", EINVAL};
    else if (sqe.len == UINT_MAX)
        in = {in.fd, "len UINT_MAX", EINVAL};
    else if ((sqe.ioprio & ~ioprio_ok) || !(sqe.ioprio & zcrx::uapi::recv_multishot))
        in = {in.fd, "ioprio other than MULTISHOT[|POLL_FIRST]", EINVAL};
    else if (sqe.flags & IOSQE_FIXED_FILE)
        in = {in.fd, "IOSQE_FIXED_FILE without a file table", EBADF};
    else if (in.fd == FdKind::closed || in.fd == FdKind::huge)
        in = {in.fd, std::string("fd: ") + fd_name(in.fd), EBADF};
    else if (in.fd == FdKind::pipe || in.fd == FdKind::devnull || in.fd == FdKind::ring)
        in = {in.fd, std::string("fd: ") + fd_name(in.fd), ENOTSOCK};
    else if (in.fd == FdKind::udp)
        in = {in.fd, std::string("fd: ") + fd_name(in.fd), EPROTONOSUPPORT};
    else if (in.fd != FdKind::connected)
        in = {in.fd, std::string("fd: ") + fd_name(in.fd), ENOTCONN};
    else
        in = {in.fd, "valid", 0};
    // POLL_FIRST, or io-wq, arm poll first: on a file that never gets ready
    // the request waits until cancelled. A request goes to io-wq with
    // IOSQE_ASYNC, IO_DRAIN, or behind a drain still active (any of them).
    if (in.kind.starts_with("fd: ") && (in.fd == FdKind::pipe || in.fd == FdKind::udp ||
                                        in.fd == FdKind::listening || in.fd == FdKind::ring))
        in.also = ECANCELED;
    // io-wq runs no multishot request on a file it cannot poll (6.12's
    // io_wq_submit_work): /dev/null sent there ends with EBADFD
    if (in.fd == FdKind::devnull && in.expected == ENOTSOCK)
        in.also2 = EBADFD;
    in.blocks = in.expected == 0 || in.also == ECANCELED;
    return in;
}

} // namespace

int run_sqe(const Settings &s) {
    std::mt19937_64 rng(s.seed);
    zcrx::Ring ring = new_ring();
    zcrx::Ifq &ifq = register_queue(ring, queue_config(s, 256, 4 << 20));
    Fds fds = open_fds();
    ::close(fds.closed);

    Tally tally;
    zcrx::pattern::Verifier verifier;
    std::uint64_t sent = 0, data_cqes = 0, stuck = 0;
    std::vector<std::byte> chunk(16384);
    Budget budget(s);
    std::uint64_t n = 0;
    for (; budget.more(n); ++n) {
        io_uring_sqe raw;
        const Input in = make_input(rng, fds, ring.fd(), raw);
        if (in.kind == "valid" && one_in(rng, 2)) {
            // data for the request to find (or the next one)
            const std::size_t len = pick<std::size_t>(rng, 1, chunk.size());
            zcrx::pattern::fill(sent, std::span(chunk.data(), len));
            const ssize_t w = ::send(fds.client.get(), chunk.data(), len, MSG_DONTWAIT);
            if (w > 0)
                sent += static_cast<std::uint64_t>(w);
        }
        io_uring_sqe *sqe = ring.get_sqe();
        if (!sqe)
            throw std::runtime_error("no free SQE");
        *sqe = raw;
        sqe->user_data = n;

        std::optional<int> final_res;
        bool cancelled = false;
        const Clock::time_point answer_by = Clock::now() + std::chrono::seconds(2);
        const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
        while (!final_res) {
            // a request that should answer by itself gets 2 s to do so;
            // GETEVENTS each time: completions of io-wq come as task work
            if (zcrx::Result<unsigned> r = ring.submit_and_wait(0); !r)
                throw std::runtime_error(r.error().message());
            if (!in.blocks && !cancelled && Clock::now() < answer_by &&
                io_uring_cq_ready(ring.native()) == 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            if (cancelled && io_uring_cq_ready(ring.native()) == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            ring.for_each_cqe([&](const io_uring_cqe &cqe) {
                if (cqe.user_data != n)
                    return; // the cancel's own answer
                if (cqe.res > 0) {
                    // data, copied in from loopback: verify, give back
                    const zcrx::uapi::zcrx_cqe z = zcrx::zcrx_cqe_of(cqe);
                    const std::uint64_t off = z.off & zcrx::area_offset_mask;
                    const std::span<const std::byte> area = ifq.area();
                    if (off + static_cast<std::uint64_t>(cqe.res) <= area.size())
                        verifier.update(area.subspan(off, static_cast<std::size_t>(cqe.res)));
                    else
                        tally.add(in.kind, "data outside the area", false);
                    zcrx::discard_cqe(ifq.refill(), cqe);
                    ++data_cqes;
                }
                if (!(cqe.flags & IORING_CQE_F_MORE))
                    final_res = cqe.res;
            });
            if (!final_res && !cancelled) {
                if (!in.blocks)
                    tally.add(in.kind, "no answer in 2 s, cancelled", false);
                io_uring_sqe *c = ring.get_sqe();
                if (!c)
                    throw std::runtime_error("no free SQE for a cancel");
                io_uring_prep_cancel64(c, n, 0);
                c->user_data = UINT64_MAX;
                cancelled = true;
            }
            if (!final_res && Clock::now() > deadline) {
                ++stuck;
                break;
            }
        }
        if (!final_res) {
            tally.add(in.kind, "no final CQE in 10 s", false);
            continue;
        }
        const int res = *final_res;
        if (in.expected != 0) {
            tally.add(in.kind, errno_string(-res),
                      res == -in.expected || (in.also && res == -in.also) ||
                          (in.also2 && res == -in.also2));
            continue;
        }
        // valid: ends at the limit (0), when cancelled, or out of buffers
        // or CQ space; data on the way goes into the verifier
        tally.add(in.kind, res >= 0 ? std::to_string(res) : errno_string(-res),
                  res == 0 || one_of(-res, {ECANCELED, ENOMEM, ENOSPC}));
    }
    std::printf("sqe: seed %llu, %llu SQEs\n", static_cast<unsigned long long>(s.seed),
                static_cast<unsigned long long>(n));
    const std::uint64_t bad = tally.print("sqe");
    std::printf("sqe: data: %llu bytes sent, %llu received in %llu CQEs, pattern %s\n",
                static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(verifier.offset()),
                static_cast<unsigned long long>(data_cqes), verifier.ok() ? "ok" : "MISMATCH");
    return bad == 0 && stuck == 0 && verifier.ok() && n > 0 ? 0 : 1;
}

} // namespace fuzz
