#include "zcrx/recv.hpp"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string>

namespace zcrx {

static_assert(offsetof(io_uring_sqe, file_index) == uapi::sqe_zcrx_ifq_idx_offset);
static_assert(sizeof(io_uring_cqe) + sizeof(uapi::zcrx_cqe) == 32);
static_assert(IORING_RECV_MULTISHOT == uapi::recv_multishot);

void prep_recv_zc(io_uring_sqe *sqe, int fd, std::uint32_t len, std::uint32_t ifq_index,
                  std::uint64_t user_data) noexcept {
    io_uring_prep_rw(uapi::op_recv_zc, sqe, fd, nullptr, len, 0);
    sqe->ioprio = uapi::recv_multishot;
    // zcrx_ifq_idx shares the union at byte 44 with file_index; liburing
    // 2.3 has no name for it.
    std::memcpy(reinterpret_cast<unsigned char *>(sqe) + uapi::sqe_zcrx_ifq_idx_offset, &ifq_index,
                sizeof(ifq_index));
    sqe->user_data = user_data;
}

uapi::zcrx_cqe zcrx_cqe_of(const io_uring_cqe &cqe) noexcept {
    uapi::zcrx_cqe z;
    std::memcpy(&z, cqe.big_cqe, sizeof(z));
    return z;
}

std::string_view recv_errno_advice(int err) noexcept {
    switch (err < 0 && err != INT_MIN ? -err : err) {
    case EINVAL:
        return "RECV_ZC refused the request: the ring needs a zcrx ifq at that index, ioprio "
               "must be IORING_RECV_MULTISHOT, the limit below UINT32_MAX, and addr, addr2, "
               "addr3 and msg_flags zero";
    case ENOTSOCK:
    case EPROTONOSUPPORT:
    case EAFNOSUPPORT:
        return "RECV_ZC works on connected TCP sockets only";
    case EOPNOTSUPP:
        return "the stream reached urgent data (MSG_OOB), which RECV_ZC does not receive: "
               "read on past it with recv(), then issue RECV_ZC again";
    case ENOBUFS:
    case ENOMEM:
        return "no free buffer in the area, again and again: give buffers back sooner or use a "
               "larger area";
    case ENOSPC:
        return "the completion queue stayed full: reap completions sooner or raise cq_entries";
    case EFAULT:
        return "the socket holds data placed in another zcrx area (received by a ring closed "
               "before reading it, or steered to another zcrx queue), or a completion "
               "pointed outside the area: this connection cannot be read; close it";
    case ECONNRESET:
        return "the peer reset the connection";
    default:
        return {};
    }
}

void discard_cqe(RefillQueue &refill, const io_uring_cqe &cqe) noexcept {
    // The handle goes at once, and the buffer with it.
    if (cqe.res > 0)
        (void)refill.adopt(zcrx_cqe_of(cqe).off, static_cast<std::uint32_t>(cqe.res));
}

Result<void> Receive::plan_arm(std::uint32_t &len) {
    if (done_ || armed_)
        return Error(EINVAL, "arm a receive that is " + std::string(done_ ? "done" : "armed"), {},
                     "");
    len = 0;
    if (limit_ != 0) {
        if (stats_.bytes >= limit_) {
            end(std::nullopt);
            return {};
        }
        len = limit_ - static_cast<std::uint32_t>(stats_.bytes);
    }
    if (len == UINT32_MAX)
        return Error(EINVAL, "arm a receive of UINT32_MAX bytes", {},
                     "the kernel reserves UINT32_MAX: use 0 for no limit");
    return {};
}

void Receive::armed_with(io_uring_sqe &sqe, std::uint32_t len) noexcept {
    prep_recv_zc(&sqe, fd_, len, ifq_index_, user_data_);
    if (needs_arm_) {
        ++stats_.rearms;
        ++idle_rearms_;
    }
    ++stats_.arms;
    armed_ = true;
    needs_arm_ = false;
}

Result<void> Receive::arm(Ring &ring) {
    std::uint32_t len = 0;
    if (Result<void> r = plan_arm(len); !r || done_)
        return r;
    io_uring_sqe *sqe = ring.get_sqe();
    if (!sqe)
        return Error(EBUSY, "queue a RECV_ZC request", {},
                     "the submission queue is full: submit first or use more SQ entries");
    armed_with(*sqe, len);
    return {};
}

Result<void> Receive::arm(io_uring_sqe &sqe) {
    std::uint32_t len = 0;
    if (Result<void> r = plan_arm(len); !r || done_)
        return r;
    armed_with(sqe, len);
    return {};
}

Receive::Event Receive::on_cqe(const io_uring_cqe &cqe) noexcept {
    const RecvCqe c = classify_recv_cqe(cqe.res, cqe.flags);
    ++stats_.cqes;
    if (!c.more)
        armed_ = false;

    switch (c.kind) {
    case CqeKind::data: {
        stats_.bytes += c.len;
        stats_.largest = std::max(stats_.largest, c.len);
        idle_rearms_ = 0;
        if (!c.more && !done_)
            needs_arm_ = true; // ended without saying why: carry on
        BufferHandle buf = refill_->adopt(zcrx_cqe_of(cqe).off, c.len);
        if (!buf)
            return {CqeKind::error, {}, EFAULT};
        return {CqeKind::data, std::move(buf), 0};
    }
    case CqeKind::eof:
        end(std::nullopt);
        return {CqeKind::eof, {}, 0};
    case CqeKind::retry:
        if (idle_rearms_ >= max_idle_rearms) {
            end(c.err);
            return {CqeKind::error, {}, c.err};
        }
        needs_arm_ = true;
        return {CqeKind::retry, {}, c.err};
    case CqeKind::error:
        if (!c.more)
            end(c.err);
        return {CqeKind::error, {}, c.err};
    case CqeKind::empty:
        break;
    }
    return {};
}

Error Receive::error(std::string what) const {
    const int err = end_err_.value_or(0);
    std::string detail;
    if (idle_rearms_ >= max_idle_rearms && recv_retryable(err))
        detail = "no data in " + std::to_string(max_idle_rearms) + " re-arms";
    return Error(err, std::move(what), std::move(detail), std::string(recv_errno_advice(err)));
}

} // namespace zcrx
