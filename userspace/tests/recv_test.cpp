#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "zcrx/area.hpp"
#include "zcrx/error.hpp"
#include "zcrx/recv.hpp"

using zcrx::CqeKind;
using zcrx::uapi::zcrx_rqe;

namespace {

constexpr std::size_t page = 4096;

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// One 32-byte CQE as a CQE32 ring lays it out.
class Cqe32 {
public:
    Cqe32(std::uint64_t user_data, std::int32_t res, std::uint32_t flags, std::uint64_t off = 0,
          std::uint64_t pad = 0) {
        cqe_ = new (storage_.data()) io_uring_cqe{user_data, res, flags};
        const zcrx::uapi::zcrx_cqe z{off, pad};
        std::memcpy(storage_.data() + sizeof(io_uring_cqe), &z, sizeof(z));
    }
    const io_uring_cqe &get() const { return *cqe_; }

private:
    alignas(8) std::array<std::byte, 32> storage_{};
    io_uring_cqe *cqe_;
};

// A refill ring and area in plain memory.
struct Fixture {
    Fixture() : rqes(16), area(8 * page), queue(zcrx::RefillQueue::create(ring(), area, 0, 1, 8)) {}
    zcrx::RefillRing ring() { return {&head, &tail, rqes.data(), 16}; }

    std::uint32_t head = 0;
    std::uint32_t tail = 0;
    std::vector<zcrx_rqe> rqes;
    std::vector<std::byte> area;
    zcrx::RefillQueue::Owner queue;
};

io_uring_sqe poisoned_sqe() {
    io_uring_sqe sqe;
    std::memset(&sqe, 0xa5, sizeof(sqe));
    return sqe;
}

std::uint32_t u32_at(const io_uring_sqe &sqe, std::size_t offset) {
    std::uint32_t v;
    std::memcpy(&v, reinterpret_cast<const unsigned char *>(&sqe) + offset, sizeof(v));
    return v;
}

} // namespace

TEST_CASE("prep_recv_zc builds the RECV_ZC SQE of the uAPI", "[recv]") {
    io_uring_sqe sqe = poisoned_sqe();
    zcrx::prep_recv_zc(&sqe, 17, 12345, 0x01020304, 0xfeedULL);

    CHECK(unsigned{sqe.opcode} == 58);
    CHECK(sqe.ioprio == IORING_RECV_MULTISHOT);
    CHECK(sqe.ioprio == 2);
    CHECK(sqe.fd == 17);
    CHECK(sqe.len == 12345);
    CHECK(sqe.flags == 0);
    CHECK(sqe.user_data == 0xfeedULL);
    // zcrx_ifq_idx: a __u32 at byte 44.
    CHECK(u32_at(sqe, 44) == 0x01020304);
    CHECK(sqe.file_index == 0x01020304);
    // addr, addr2 (off), addr3 and msg_flags must be zero, and so the rest.
    CHECK(sqe.addr == 0);
    CHECK(sqe.off == 0);
    CHECK(sqe.addr3 == 0);
    CHECK(sqe.msg_flags == 0);
    CHECK(sqe.buf_index == 0);
    CHECK(sqe.personality == 0);
    CHECK(sqe.__pad2[0] == 0);
}

TEST_CASE("prep_recv_zc: no limit and ifq 0 are zeros", "[recv]") {
    io_uring_sqe sqe = poisoned_sqe();
    zcrx::prep_recv_zc(&sqe, 3, 0, 0, 0);
    CHECK(sqe.len == 0);
    CHECK(u32_at(sqe, zcrx::uapi::sqe_zcrx_ifq_idx_offset) == 0);
}

TEST_CASE("the zcrx half of a 32-byte CQE is decoded", "[recv]") {
    const std::uint64_t off = zcrx::encode_off(2, 5 * page + 7);
    const Cqe32 c(9, 1500, IORING_CQE_F_MORE, off, 0x55);
    const zcrx::uapi::zcrx_cqe z = zcrx::zcrx_cqe_of(c.get());
    CHECK(z.off == off);
    CHECK(z.pad == 0x55);
    CHECK(zcrx::decode_off(z.off) == zcrx::AreaOffset{2, 5 * page + 7});
}

TEST_CASE("RECV_ZC completions are classified", "[recv]") {
    struct Case {
        std::int32_t res;
        std::uint32_t flags;
        CqeKind kind;
        bool more;
        std::uint32_t len;
        int err;
    };
    const std::uint32_t more = IORING_CQE_F_MORE;
    const Case cases[] = {
        {4096, more, CqeKind::data, true, 4096, 0},
        {1, more, CqeKind::data, true, 1, 0},
        {100, 0, CqeKind::data, false, 100, 0}, // unexpected: data that ends the request
        {0, 0, CqeKind::eof, false, 0, 0},
        {0, more, CqeKind::empty, true, 0, 0},
        {-ENOBUFS, 0, CqeKind::retry, false, 0, ENOBUFS},
        {-ENOSPC, 0, CqeKind::retry, false, 0, ENOSPC},
        {-ENOMEM, 0, CqeKind::retry, false, 0, ENOMEM},
        {-ENOBUFS, more, CqeKind::error, true, 0, ENOBUFS}, // not an end: not a retry
        {-ECONNRESET, 0, CqeKind::error, false, 0, ECONNRESET},
        {-EINVAL, 0, CqeKind::error, false, 0, EINVAL},
        {INT32_MIN, 0, CqeKind::error, false, 0, EINVAL},
    };
    for (const Case &c : cases) {
        INFO("res " << c.res << " flags " << c.flags);
        const zcrx::RecvCqe r = zcrx::classify_recv_cqe(c.res, c.flags);
        CHECK(r.kind == c.kind);
        CHECK(r.more == c.more);
        CHECK(r.len == c.len);
        CHECK(r.err == c.err);
    }
}

TEST_CASE("a receive hands out buffers and ends at end of stream", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 42);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    CHECK(rx.armed());
    CHECK(unsigned{sqe.opcode} == 58);
    CHECK(sqe.fd == 5);
    CHECK(sqe.user_data == 42);
    CHECK_FALSE(rx.arm(sqe).ok()); // already armed

    {
        zcrx::Receive::Event ev = rx.on_cqe(Cqe32(42, 300, IORING_CQE_F_MORE, 2 * page).get());
        CHECK(ev.kind == CqeKind::data);
        REQUIRE(ev.buffer);
        CHECK(ev.buffer.data().data() == f.area.data() + 2 * page);
        CHECK(ev.buffer.size() == 300);
        CHECK(f.queue->outstanding() == 1);
    }
    CHECK(f.queue->outstanding() == 0);
    CHECK(f.tail == 1); // batch 1: published at once
    CHECK(f.rqes[0].off == 2 * page);
    CHECK(f.rqes[0].len == 300);
    CHECK(rx.armed());

    const zcrx::Receive::Event end = rx.on_cqe(Cqe32(42, 0, 0).get());
    CHECK(end.kind == CqeKind::eof);
    CHECK(rx.done());
    CHECK_FALSE(rx.armed());
    CHECK_FALSE(rx.needs_arm());
    CHECK_FALSE(rx.end_error());
    CHECK(rx.stats().bytes == 300);
    CHECK(rx.stats().cqes == 2);
    CHECK(rx.stats().arms == 1);
    CHECK(rx.stats().rearms == 0);
    CHECK_FALSE(rx.arm(sqe).ok()); // done
}

TEST_CASE("ENOMEM, ENOBUFS and ENOSPC end the request and ask for a re-arm", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 3, 5, 1);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    CHECK(u32_at(sqe, 44) == 3);

    for (const int err : {ENOMEM, ENOBUFS, ENOSPC}) {
        const zcrx::Receive::Event ev = rx.on_cqe(Cqe32(1, -err, 0).get());
        CHECK(ev.kind == CqeKind::retry);
        CHECK(ev.err == err);
        CHECK(rx.needs_arm());
        CHECK_FALSE(rx.armed());
        CHECK_FALSE(rx.done());
        REQUIRE(rx.arm(sqe).ok());
        CHECK_FALSE(rx.needs_arm());
    }
    CHECK(rx.stats().arms == 4);
    CHECK(rx.stats().rearms == 3);
}

TEST_CASE("re-arming without progress ends in an error", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 1);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    unsigned rearms = 0;
    while (!rx.done() && rearms < 2 * zcrx::Receive::max_idle_rearms) {
        (void)rx.on_cqe(Cqe32(1, -ENOBUFS, 0).get());
        if (rx.needs_arm() && rx.arm(sqe).ok())
            ++rearms;
    }
    CHECK(rearms == zcrx::Receive::max_idle_rearms);
    REQUIRE(rx.end_error());
    CHECK(*rx.end_error() == ENOBUFS);
    const std::string msg = rx.error("receive on connection 1").message();
    CHECK(contains(msg, "(ENOBUFS)"));
    CHECK(contains(msg, "larger area"));
}

TEST_CASE("data resets the no-progress count", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 1);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    for (unsigned i = 0; i < 3 * zcrx::Receive::max_idle_rearms; ++i) {
        if (i % 100 == 0)
            (void)rx.on_cqe(Cqe32(1, 10, IORING_CQE_F_MORE, 0).get());
        (void)rx.on_cqe(Cqe32(1, -ENOSPC, 0).get());
        REQUIRE(rx.arm(sqe).ok());
    }
    CHECK_FALSE(rx.done());
}

TEST_CASE("other errors end the receive with advice", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 1);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    const zcrx::Receive::Event ev = rx.on_cqe(Cqe32(1, -EINVAL, 0).get());
    CHECK(ev.kind == CqeKind::error);
    CHECK(rx.done());
    REQUIRE(rx.end_error());
    const std::string msg = rx.error("receive").message();
    CHECK(contains(msg, "(EINVAL)"));
    CHECK(contains(msg, "IORING_RECV_MULTISHOT"));
    CHECK_FALSE(contains(msg, "IORING_SETUP")); // not the registration hint
}

TEST_CASE("a chunk outside the area is an error, returned, and the request goes on", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 1);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    const zcrx::Receive::Event ev =
        rx.on_cqe(Cqe32(1, 100, IORING_CQE_F_MORE, 8 * page - 50).get());
    CHECK(ev.kind == CqeKind::error);
    CHECK(ev.err == EFAULT);
    CHECK_FALSE(ev.buffer);
    CHECK(rx.armed());
    CHECK(f.tail == 1); // given back anyway
    CHECK(f.rqes[0].off == 8 * page - 50);
}

TEST_CASE("a data CQE without F_MORE still carries a buffer, then re-arms", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 1);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    zcrx::Receive::Event ev = rx.on_cqe(Cqe32(1, 10, 0, page).get());
    CHECK(ev.kind == CqeKind::data);
    CHECK(ev.buffer);
    CHECK(rx.needs_arm());
}

TEST_CASE("a byte limit asks for what is left, then ends", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 1, 1000);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    CHECK(sqe.len == 1000);
    (void)rx.on_cqe(Cqe32(1, 600, IORING_CQE_F_MORE, 0).get());
    (void)rx.on_cqe(Cqe32(1, -ENOBUFS, 0).get());
    REQUIRE(rx.arm(sqe).ok());
    CHECK(sqe.len == 400);
    (void)rx.on_cqe(Cqe32(1, 400, IORING_CQE_F_MORE, 0).get());
    (void)rx.on_cqe(Cqe32(1, -ENOSPC, 0).get());

    io_uring_sqe untouched = poisoned_sqe();
    REQUIRE(rx.arm(untouched).ok());
    CHECK(rx.done()); // nothing left to ask for: no new request
    CHECK(untouched.opcode == poisoned_sqe().opcode);
    CHECK(rx.stats().bytes == 1000);
}

TEST_CASE("a limit of UINT32_MAX is refused before it reaches the kernel", "[recv]") {
    Fixture f;
    zcrx::Receive rx(*f.queue, 0, 5, 1, UINT32_MAX);
    io_uring_sqe sqe = poisoned_sqe();
    const zcrx::Result<void> r = rx.arm(sqe);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().err == EINVAL);
    CHECK_FALSE(rx.armed());
}

TEST_CASE("unclaimed CQEs give their buffers back", "[recv]") {
    Fixture f;
    zcrx::discard_cqe(*f.queue, Cqe32(7, 123, IORING_CQE_F_MORE, 3 * page).get());
    zcrx::discard_cqe(*f.queue, Cqe32(7, 0, 0).get());
    zcrx::discard_cqe(*f.queue, Cqe32(7, -ENOBUFS, 0).get());
    CHECK(f.tail == 1);
    CHECK(f.rqes[0].off == 3 * page);
    CHECK(f.rqes[0].len == 123);
}

TEST_CASE("a receive outliving its ifq's queue still hands out and returns buffers",
          "[recv][lifetime]") {
    std::uint32_t head = 0;
    std::uint32_t tail = 0;
    std::vector<zcrx_rqe> rqes(16);
    std::vector<std::byte> area(8 * page);
    // a batch of 8: only a queue whose owner let go publishes a single return
    zcrx::RefillQueue::Owner queue =
        zcrx::RefillQueue::create({&head, &tail, rqes.data(), 16}, area, 0, 8, 8);
    zcrx::Receive rx(*queue, 0, 5, 1);
    io_uring_sqe sqe = poisoned_sqe();
    REQUIRE(rx.arm(sqe).ok());
    queue.reset(); // the Ifq is gone: the receive keeps the queue
    {
        zcrx::Receive::Event ev = rx.on_cqe(Cqe32(1, 64, IORING_CQE_F_MORE, 5 * page).get());
        REQUIRE(ev.kind == CqeKind::data);
        CHECK(ev.buffer.data().data() == area.data() + 5 * page);
    }
    CHECK(tail == 1);
    CHECK(rqes[0].off == 5 * page);
    zcrx::Receive moved = std::move(rx); // the reference moves with it
    {
        zcrx::Receive::Event ev = moved.on_cqe(Cqe32(1, 32, IORING_CQE_F_MORE, 6 * page).get());
        REQUIRE(ev.kind == CqeKind::data);
        CHECK(ev.buffer.data().data() == area.data() + 6 * page);
    }
    CHECK(tail == 2);
    CHECK(rqes[1].off == 6 * page);
    CHECK(moved.on_cqe(Cqe32(1, 0, 0).get()).kind == CqeKind::eof);
}

TEST_CASE("receive errnos have receive advice", "[recv]") {
    CHECK(contains(zcrx::recv_errno_advice(EINVAL), "IORING_RECV_MULTISHOT"));
    CHECK(contains(zcrx::recv_errno_advice(-EINVAL), "IORING_RECV_MULTISHOT"));
    CHECK(contains(zcrx::recv_errno_advice(EPROTONOSUPPORT), "TCP"));
    CHECK(contains(zcrx::recv_errno_advice(EOPNOTSUPP), "MSG_OOB"));
    CHECK(contains(zcrx::recv_errno_advice(ENOSPC), "cq_entries"));
    CHECK(contains(zcrx::recv_errno_advice(ENOBUFS), "area"));
    CHECK(contains(zcrx::recv_errno_advice(EFAULT), "outside"));
    CHECK(zcrx::recv_errno_advice(EAGAIN).empty());
    CHECK(zcrx::recv_retryable(ENOBUFS));
    CHECK(zcrx::recv_retryable(ENOMEM));
    CHECK(zcrx::recv_retryable(ENOSPC));
    CHECK_FALSE(zcrx::recv_retryable(EINVAL));
}
