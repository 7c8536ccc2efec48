// zcrx-recv's receive loop: one ring, its listeners (one per queue), the
// connections they accept and their multishot zero-copy receives.
#pragma once

#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "recv/settings.hpp"
#include "zcrx/buffer.hpp"
#include "zcrx/event.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/json.hpp"
#include "zcrx/progress.hpp"
#include "zcrx/recv.hpp"
#include "zcrx/ring.hpp"

namespace zcrx_recv {

inline std::string format_peer(const sockaddr_storage &ss) {
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
            // the last end of stream; now if a connection has none (a
            // signal or an error ended the loop first)
            const Totals t = totals();
            Clock::time_point end{};
            for (const Connection &c : conns_)
                end = c.end == Clock::time_point{} ? Clock::now() : std::max(end, c.end);
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
            if (signal_err_)
                return Error(*signal_err_, "read SIGINT or SIGTERM from the signalfd", {}, "");
            if (signal_rearm_) {
                signal_rearm_ = false;
                if (Result<void> r = arm_signal(); !r)
                    return r;
            }
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
            if (cqe.res == static_cast<int>(sizeof(*siginfo_)))
                stopped_by_ = static_cast<int>(siginfo_->ssi_signo);
            else if (cqe.res == -EINTR || cqe.res == -EAGAIN)
                signal_rearm_ = true; // read again after the batch
            else
                signal_err_ = cqe.res < 0 ? -cqe.res : EIO; // a short read: nothing to go by
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
    bool signal_rearm_ = false;     // the read ended without a signal: read again
    std::optional<int> signal_err_; // the read failed (errno)
    Clock::time_point last_cqe_{};  // when the last completions came
    std::optional<zcrx::progress::Ticker> ticker_; // --interval, from the first accept
};

} // namespace zcrx_recv
