#include "zcrx/query.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace zcrx {

namespace {

template <typename T>
std::uint64_t address_of(T &v) noexcept {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&v));
}

template <typename T>
void link(uapi::query_hdr &hdr, std::uint32_t op, T &answer, uapi::query_hdr *next) noexcept {
    hdr = {};
    hdr.query_op = op;
    hdr.query_data = address_of(answer);
    hdr.size = sizeof(T);
    hdr.next_entry = next ? address_of(*next) : 0;
}

// The answer of hdr into out, or nullopt when the kernel does not know it.
template <typename T>
Result<bool> take(const uapi::query_hdr &hdr, const T &answer, std::optional<T> &out,
                  const char *name) {
    Result<bool> r = query_answered(hdr, sizeof(T), name);
    if (r && *r)
        out = answer;
    return r;
}

} // namespace

Result<bool> query_answered(const uapi::query_hdr &hdr, std::size_t buffer_size, const char *name) {
    const std::string what = std::string("query ") + name + " (IORING_REGISTER_QUERY)";
    if (hdr.result == -EOPNOTSUPP)
        return false;
    if (hdr.result > 0)
        return Error(EBADMSG, what, "the kernel answered " + std::to_string(hdr.result), "");
    if (hdr.result < 0)
        return Error(-hdr.result, what, {}, "");
    if (hdr.size > buffer_size)
        return Error(EBADMSG, what,
                     "the kernel wrote " + std::to_string(hdr.size) + " bytes into a " +
                         std::to_string(buffer_size) + "-byte buffer",
                     "");
    return true;
}

bool has_nodev(const Support &support) noexcept {
    return support.zcrx && (support.zcrx->register_flags & uapi::reg_nodev) != 0;
}

bool kernel_has_nodev() {
    const Result<Support> s = query();
    return s && has_nodev(*s);
}

bool has_add_area(const Support &support) noexcept {
    return support.zcrx && support.zcrx->nr_ctrl_opcodes > uapi::ctrl_add_area;
}

bool kernel_has_add_area() {
    const Result<Support> s = query();
    return s && has_add_area(*s);
}

bool has_events(const Support &support) noexcept {
    return support.zcrx && (support.zcrx->features & uapi::zcrx_feature_event) != 0;
}

bool kernel_has_events() {
    const Result<Support> s = query();
    return s && has_events(*s);
}

Result<Support> query() {
    uapi::query_opcode opcodes{};
    uapi::query_zcrx zcrx{};
    uapi::query_scq scq{};
    uapi::query_hdr hdr[3];
    link(hdr[0], uapi::query_op_opcodes, opcodes, &hdr[1]);
    link(hdr[1], uapi::query_op_zcrx, zcrx, &hdr[2]);
    link(hdr[2], uapi::query_op_scq, scq, nullptr);

    // No ring: fd -1. liburing 2.3 has no wrapper for this.
    if (::syscall(__NR_io_uring_register, -1, uapi::register_query, &hdr[0], 0) < 0) {
        const int err = errno;
        std::string advice;
        if (err == EBADF || err == EINVAL)
            advice = "this kernel cannot answer IORING_REGISTER_QUERY (it came with Linux "
                     "6.18, and with the zcrx series here): what it supports is only known "
                     "by trying";
        return Error(err, "query what io_uring supports (IORING_REGISTER_QUERY)", {},
                     std::move(advice));
    }
    Support s;
    if (Result<bool> r = take(hdr[0], opcodes, s.opcodes, "opcodes"); !r)
        return std::move(r).error();
    if (Result<bool> r = take(hdr[1], zcrx, s.zcrx, "zero-copy receive"); !r)
        return std::move(r).error();
    if (Result<bool> r = take(hdr[2], scq, s.scq, "the SQ/CQ ring header"); !r)
        return std::move(r).error();
    return s;
}

} // namespace zcrx
