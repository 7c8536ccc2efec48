// An io_uring instance set up the way zcrx needs it.
//
// zcrx requires IORING_SETUP_DEFER_TASKRUN (hence SINGLE_ISSUER) and CQE32:
// every RECV_ZC completion is 32 bytes, its second half a zcrx_cqe. With
// DEFER_TASKRUN completions are only produced while the owning thread waits
// in io_uring_enter(GETEVENTS), i.e. in submit_and_wait(); peeking alone
// never sees new ones. A Ring belongs to the thread that created it.
//
// A Ring owns the zcrx interface queues registered on it (register_ifq()),
// as the kernel does: there is no unregister operation, and an ifq lives
// until its ring is closed. Before it blocks for completions, the ring
// publishes the buffers given back to those queues (and to queues shared
// with it, Ifq::share_with()), which the kernel may be waiting for.
#pragma once

#include <liburing.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "zcrx/buffer.hpp"
#include "zcrx/result.hpp"
#include "zcrx/uapi.hpp"

namespace zcrx {

class Ifq;
struct IfqConfig;

struct RingConfig {
    std::uint32_t sq_entries = 64;
    // Completion queue size; 0 = the kernel's default (twice sq_entries). A
    // multishot receive that finds the CQ full ends with -ENOSPC, so size it
    // for the completions one wait can produce.
    std::uint32_t cq_entries = 4096;
    // Added to the required DEFER_TASKRUN | SINGLE_ISSUER | CQE32.
    std::uint32_t extra_flags = 0;
};

class Ring {
public:
    // Creates the ring. EINVAL from a kernel that lacks one of the required
    // flags comes with advice naming them.
    [[nodiscard]] static Result<Ring> create(const RingConfig &config = {});

    // Moving keeps the io_uring's address and the ifqs': SQEs, CQEs and
    // references to the ifqs stay valid.
    Ring(Ring &&other) noexcept;
    Ring &operator=(Ring &&other) noexcept;
    Ring(const Ring &) = delete;
    Ring &operator=(const Ring &) = delete;
    // Closes the ring, which lets go of the kernel's interface queues
    // registered on it (gone unless another ring or an export descriptor
    // holds them), then destroys its Ifqs. Buffers still held go back into
    // their refill rings when they are let go (see zcrx/buffer.hpp).
    ~Ring();

    // Registers a zcrx interface queue on this ring (what is checked and the
    // errors: Ifq's in zcrx/ifq.hpp). The ring owns the Ifq: the reference
    // is valid while the ring lives, moved or not.
    [[nodiscard]] Result<std::reference_wrapper<Ifq>> register_ifq(const IfqConfig &config);
    // Ifqs registered by register_ifq(), oldest first.
    [[nodiscard]] std::size_t ifq_count() const noexcept { return ifqs_.size(); }
    [[nodiscard]] Ifq &ifq(std::size_t i) noexcept { return *ifqs_[i]; }
    [[nodiscard]] const Ifq &ifq(std::size_t i) const noexcept { return *ifqs_[i]; }

    [[nodiscard]] io_uring *native() noexcept { return ring_.get(); }
    [[nodiscard]] int fd() const noexcept { return ring_->ring_fd; }
    [[nodiscard]] std::uint32_t flags() const noexcept { return ring_->flags; }

    // Whether the kernel implements opcode op (IORING_REGISTER_PROBE).
    [[nodiscard]] Result<bool> supports_op(std::uint8_t op);

    // A free SQE, submitting what is queued if the SQ is full; nullptr if
    // there is still none.
    [[nodiscard]] io_uring_sqe *get_sqe() noexcept;

    // Publish the buffers given back to the refill queues of this ring's
    // ifqs and of those shared with it, submit queued SQEs and wait until at
    // least wait_nr completions are available (0: do not wait, but still run
    // deferred task work so that finished requests post their CQEs). EINTR
    // is retried. Returns the number of SQEs submitted.
    Result<unsigned> submit_and_wait(unsigned wait_nr);

    // Like submit_and_wait(1), publishing first as well, but gives up once
    // timeout has passed without a completion. Returns whether one is
    // available.
    Result<bool> submit_and_wait_for(std::chrono::milliseconds timeout);

    // Calls fn(const io_uring_cqe &) on every available CQE, oldest first,
    // then frees their slots. Returns how many were seen. fn must not throw.
    template <typename F>
    unsigned for_each_cqe(F &&fn) noexcept {
        io_uring *ring = ring_.get();
        unsigned head;
        unsigned seen = 0;
        io_uring_cqe *cqe;
        io_uring_for_each_cqe(ring, head, cqe) {
            fn(static_cast<const io_uring_cqe &>(*cqe));
            ++seen;
        }
        io_uring_cq_advance(ring, seen);
        return seen;
    }

private:
    friend class Ifq; // share_with() adds to shared_
    explicit Ring(std::unique_ptr<io_uring> ring) noexcept;
    void close() noexcept;
    void flush_refill_queues() noexcept;

    std::unique_ptr<io_uring> ring_;
    // Destroyed after the io_uring is closed (close() in ~Ring).
    std::vector<std::unique_ptr<Ifq>> ifqs_;
    std::vector<RefillQueue::Ref> shared_; // other rings' queues received through here
};

} // namespace zcrx
