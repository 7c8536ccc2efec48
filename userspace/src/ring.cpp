#include "zcrx/ring.hpp"

#include "zcrx/ifq.hpp"

#include <cerrno>
#include <new>
#include <string>

namespace zcrx {

static_assert(IORING_SETUP_DEFER_TASKRUN == uapi::setup_defer_taskrun);
static_assert(IORING_SETUP_SINGLE_ISSUER == uapi::setup_single_issuer);
static_assert(IORING_SETUP_CQE32 == uapi::setup_cqe32);

Result<Ring> Ring::create(const RingConfig &config) {
    std::unique_ptr<io_uring> ring(new (std::nothrow) io_uring{});
    if (!ring)
        return Error(ENOMEM, "allocate an io_uring", {}, "");
    io_uring_params p{};
    p.flags = uapi::setup_required_flags | config.extra_flags;
    if (config.cq_entries != 0) {
        p.flags |= IORING_SETUP_CQSIZE;
        p.cq_entries = config.cq_entries;
    }
    const int ret = io_uring_queue_init_params(config.sq_entries, ring.get(), &p);
    if (ret < 0) {
        std::string what = "create an io_uring with " + std::to_string(config.sq_entries) +
                           " SQ and " + std::to_string(config.cq_entries) + " CQ entries";
        if (ret == -EINVAL)
            return Error(EINVAL, std::move(what), {},
                         "the kernel must support IORING_SETUP_DEFER_TASKRUN | "
                         "IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32 (Linux 6.1 or "
                         "later), and the entry counts must be powers of two within its limits");
        if (ret == -ENOMEM)
            return Error(ENOMEM, std::move(what), {},
                         "raise RLIMIT_MEMLOCK (ulimit -l) or use fewer entries");
        return Error::from_ret(ret, std::move(what));
    }
    return Ring(std::move(ring));
}

Ring::Ring(std::unique_ptr<io_uring> ring) noexcept : ring_(std::move(ring)) {}

Ring::Ring(Ring &&other) noexcept = default;

Ring &Ring::operator=(Ring &&other) noexcept {
    if (this != &other) {
        close();
        ring_ = std::move(other.ring_);
        ifqs_ = std::move(other.ifqs_);
        shared_ = std::move(other.shared_);
    }
    return *this;
}

Ring::~Ring() {
    close();
}

void Ring::close() noexcept {
    if (ring_) {
        io_uring_queue_exit(ring_.get());
        ring_.reset();
    }
    // The kernel's ifqs are gone (unless another ring or an export holds
    // them): the Ifqs follow, their refill queues as their handles let go.
    ifqs_.clear();
    shared_.clear();
}

Result<std::reference_wrapper<Ifq>> Ring::register_ifq(const IfqConfig &config) {
    try {
        ifqs_.reserve(ifqs_.size() + 1);
    } catch (const std::bad_alloc &) {
        return Error(ENOMEM, "make room for an ifq on the ring", {}, "");
    }
    Result<std::unique_ptr<Ifq>> ifq = Ifq::create(*this, config);
    if (!ifq)
        return std::move(ifq).error();
    ifqs_.push_back(std::move(ifq).value()); // reserved: does not throw
    return std::ref(*ifqs_.back());
}

void Ring::flush_refill_queues() noexcept {
    for (const std::unique_ptr<Ifq> &ifq : ifqs_)
        ifq->refill().flush();
    for (const RefillQueue::Ref &queue : shared_)
        queue->flush();
}

Result<bool> Ring::supports_op(std::uint8_t op) {
    io_uring_probe *probe = io_uring_get_probe_ring(ring_.get());
    if (!probe)
        return Error(ENOMEM, "probe the io_uring opcodes", {}, "");
    const bool supported = io_uring_opcode_supported(probe, op) != 0;
    io_uring_free_probe(probe);
    return supported;
}

io_uring_sqe *Ring::get_sqe() noexcept {
    io_uring_sqe *sqe = io_uring_get_sqe(ring_.get());
    if (!sqe && io_uring_submit(ring_.get()) >= 0)
        sqe = io_uring_get_sqe(ring_.get());
    return sqe;
}

namespace {

// A failed io_uring_enter(GETEVENTS), -errno in ret.
Error wait_error(int ret) {
    if (ret == -EBUSY)
        return Error(EBUSY, "submit to and wait on the io_uring", {},
                     "completions overflowed the CQ: reap them sooner or raise cq_entries");
    return Error(-ret, "submit to and wait on the io_uring", {}, "");
}

} // namespace

Result<unsigned> Ring::submit_and_wait(unsigned wait_nr) {
    flush_refill_queues();
    for (;;) {
        // get_events enters the kernel even with nothing to submit or wait
        // for: with DEFER_TASKRUN that is what produces completions.
        const int ret = wait_nr ? io_uring_submit_and_wait(ring_.get(), wait_nr)
                                : io_uring_submit_and_get_events(ring_.get());
        if (ret >= 0)
            return static_cast<unsigned>(ret);
        if (ret != -EINTR)
            return wait_error(ret);
    }
}

Result<bool> Ring::submit_and_wait_for(std::chrono::milliseconds timeout) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    __kernel_timespec ts{};
    ts.tv_sec = ns / 1'000'000'000;
    ts.tv_nsec = ns % 1'000'000'000;
    flush_refill_queues();
    for (;;) {
        io_uring_cqe *cqe = nullptr;
        const int ret = io_uring_submit_and_wait_timeout(ring_.get(), &cqe, 1, &ts, nullptr);
        if (ret >= 0)
            return true;
        if (ret == -ETIME)
            return false;
        if (ret != -EINTR)
            return wait_error(ret);
    }
}

} // namespace zcrx
