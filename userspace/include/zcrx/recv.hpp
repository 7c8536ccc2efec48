// Multishot zero-copy receive (IORING_OP_RECV_ZC) on one TCP socket.
//
// One armed request posts a data CQE (res = length, IORING_CQE_F_MORE set)
// for every chunk that lands in the area, until it ends with a CQE without
// F_MORE: res 0 is end of stream (or the byte limit), -ENOMEM/-ENOSPC mean
// the request ran out of copy buffers or CQ space (drain the CQ, give the
// buffers back, flush, then re-arm), anything else is an error. A request
// that completed data before running out stays armed and tries again.
//
// A Receive does not wait: the caller owns the loop. Per wait:
// Ring::submit_and_wait() (which publishes the buffers given back so far),
// route each CQE to its Receive by user_data (on_cqe()), let the buffers go,
// and arm() every Receive that needs_arm(). CQEs nobody claims must still go
// back: discard_cqe(). A Receive keeps its ifq's refill queue (and the
// memory its buffers lie in) alive, whatever happens to the Ifq.
#pragma once

#include <liburing.h>

#include <cerrno>
#include <cstdint>
#include <optional>

#include "zcrx/buffer.hpp"
#include "zcrx/error.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/result.hpp"
#include "zcrx/ring.hpp"
#include "zcrx/uapi.hpp"

namespace zcrx {

// Fill sqe as a multishot RECV_ZC on socket fd, receiving at most len bytes
// (0: no limit; UINT32_MAX is invalid) through the ifq at ifq_index.
void prep_recv_zc(io_uring_sqe *sqe, int fd, std::uint32_t len, std::uint32_t ifq_index,
                  std::uint64_t user_data) noexcept;

// The second half of a 32-byte RECV_ZC CQE.
[[nodiscard]] uapi::zcrx_cqe zcrx_cqe_of(const io_uring_cqe &cqe) noexcept;

// A request that ended with this errno can be re-armed once the CQ is drained
// and buffers are back: ENOMEM (copy path found no free buffer; kernels of
// this project before they matched upstream said ENOBUFS) and ENOSPC (CQ
// full).
[[nodiscard]] constexpr bool recv_retryable(int err) noexcept {
    return err == ENOBUFS || err == ENOSPC || err == ENOMEM;
}

enum class CqeKind {
    data,  // res bytes in the area; return the buffer
    eof,   // request ended: peer closed or the byte limit was reached
    retry, // request ended for want of buffers or CQ space: re-arm
    error, // request ended with an error
    empty, // res 0 with F_MORE: nothing to do (not expected)
};

struct RecvCqe {
    CqeKind kind = CqeKind::empty;
    bool more = false;     // the request goes on (IORING_CQE_F_MORE)
    std::uint32_t len = 0; // data: bytes
    int err = 0;           // retry, error: positive errno
};

// What a RECV_ZC completion with res and flags means. A data CQE without
// F_MORE (not expected) still carries a buffer, and ends the request.
[[nodiscard]] constexpr RecvCqe classify_recv_cqe(std::int32_t res, std::uint32_t flags) noexcept {
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    if (res > 0)
        return {CqeKind::data, more, static_cast<std::uint32_t>(res), 0};
    if (res == 0)
        return {more ? CqeKind::empty : CqeKind::eof, more, 0, 0};
    const int err = res == INT32_MIN ? EINVAL : -res;
    return {recv_retryable(err) && !more ? CqeKind::retry : CqeKind::error, more, 0, err};
}

// Advice for an errno that ended a receive request ("" if none).
[[nodiscard]] std::string_view recv_errno_advice(int err) noexcept;

// Give back the buffer of a RECV_ZC CQE whose Receive is gone.
void discard_cqe(RefillQueue &refill, const io_uring_cqe &cqe) noexcept;

struct ReceiveStats {
    std::uint64_t bytes = 0;   // data received
    std::uint64_t cqes = 0;    // completions seen, data or not
    std::uint64_t arms = 0;    // requests submitted
    std::uint64_t rearms = 0;  // of those, after a retryable end
    std::uint32_t largest = 0; // bytes of the largest data completion
};

class Receive {
public:
    // How many re-arms in a row without data count as no progress (an error).
    static constexpr unsigned max_idle_rearms = 1000;

    // Binds to a connected TCP socket (not owned; keep it open while armed)
    // and the ifq. user_data tags its SQEs and CQEs.
    // limit: total bytes to receive, 0 for all (below UINT32_MAX).
    Receive(Ifq &ifq, int sockfd, std::uint64_t user_data, std::uint32_t limit = 0) noexcept
        : Receive(ifq.refill(), ifq.index(), sockfd, user_data, limit) {}
    // The same from the ifq's parts: its refill queue and index.
    Receive(RefillQueue &refill, std::uint32_t ifq_index, int sockfd, std::uint64_t user_data,
            std::uint32_t limit = 0) noexcept
        : refill_(refill), ifq_index_(ifq_index), fd_(sockfd), user_data_(user_data),
          limit_(limit) {}

    Receive(Receive &&) noexcept = default;
    Receive &operator=(Receive &&) noexcept = default;
    Receive(const Receive &) = delete;
    Receive &operator=(const Receive &) = delete;
    ~Receive() = default;

    // Queue the RECV_ZC SQE on ring (submitted by the next submit_and_wait).
    // With a limit, asks for the bytes still missing; when none are, the
    // receive is done without a new request.
    Result<void> arm(Ring &ring);
    // The same into an SQE the caller got from its ring; sqe is left alone
    // if the receive turns out to be done (check done() before submitting).
    Result<void> arm(io_uring_sqe &sqe);

    struct Event {
        CqeKind kind = CqeKind::empty;
        BufferHandle buffer; // data: the received bytes, returned when released
        int err = 0;         // error, retry: positive errno
    };

    // Account one CQE with this receive's user_data. A data chunk that does
    // not lie in the area (a kernel bug) is given back and reported as error
    // EFAULT; the request goes on.
    [[nodiscard]] Event on_cqe(const io_uring_cqe &cqe) noexcept;

    // A request is in flight.
    [[nodiscard]] bool armed() const noexcept { return armed_; }
    // The request ended but can go on: arm() again after draining.
    [[nodiscard]] bool needs_arm() const noexcept { return needs_arm_; }
    // Ended for good: end of stream, limit reached, or error.
    [[nodiscard]] bool done() const noexcept { return done_; }
    // The errno that ended it, if an error did.
    [[nodiscard]] std::optional<int> end_error() const noexcept { return end_err_; }
    // That error with context and advice; what names the receive.
    [[nodiscard]] Error error(std::string what) const;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] std::uint64_t user_data() const noexcept { return user_data_; }
    [[nodiscard]] const ReceiveStats &stats() const noexcept { return stats_; }

private:
    // An error if arm() must not run; else sets len, or ends the receive if
    // its limit left nothing to ask for.
    Result<void> plan_arm(std::uint32_t &len);
    void armed_with(io_uring_sqe &sqe, std::uint32_t len) noexcept;

    void end(std::optional<int> err) noexcept {
        armed_ = false;
        needs_arm_ = false;
        done_ = true;
        end_err_ = err;
    }

    RefillQueue::Ref refill_;
    std::uint32_t ifq_index_;
    int fd_;
    std::uint64_t user_data_;
    std::uint32_t limit_;
    bool armed_ = false;
    bool needs_arm_ = false;
    bool done_ = false;
    std::optional<int> end_err_;
    unsigned idle_rearms_ = 0; // re-arms since the last data
    ReceiveStats stats_{};
};

} // namespace zcrx
