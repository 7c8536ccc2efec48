// Compile-time proof that <linux/io_uring/zcrx.h> stands on its own with
// upstream 7.1, 7.2 and 7.3 layouts: a program that includes only that header (no
// <linux/io_uring.h>, no zcrx/uapi.hpp) sees every zcrx structure and
// constant, at the sizes and offsets upstream fixed. The numbers are
// upstream's, written out here, not taken from this library's copy. Only
// the fields a program sets or reads are pinned: reserved space may take
// new fields (tests/uapi_check.cpp pins all of them against zcrx/uapi.hpp).
//
// Built into uapi-check (-Dkernel_headers=...), against the headers the
// patched tree exported. Nothing here runs.
#include <linux/io_uring/zcrx.h>

#include <cstddef> // offsetof; the only header besides the kernel's

namespace {

#define ZCRX_HEADER_AT(type, field, offset)                                                        \
    static_assert(offsetof(type, field) == (offset), #type "::" #field " is not at " #offset)

// Constants.
static_assert(ZCRX_REG_IMPORT == 1);
static_assert(ZCRX_REG_NODEV == 2);
static_assert(IORING_ZCRX_AREA_DMABUF == 1);
static_assert(IORING_ZCRX_AREA_SHIFT == 48);
static_assert(IORING_ZCRX_AREA_MASK == 0xffff000000000000ULL);
static_assert(ZCRX_FEATURE_RX_PAGE_SIZE == 1);
static_assert(ZCRX_CTRL_FLUSH_RQ == 0);
static_assert(ZCRX_CTRL_EXPORT == 1);
// events and statistics (upstream 7.2)
static_assert(ZCRX_CTRL_ARM_EVENT == 2);
static_assert(ZCRX_FEATURE_EVENT == 2);
static_assert(ZCRX_EVENT_ALLOC_FAIL == 0);
static_assert(ZCRX_EVENT_COPY == 1);
static_assert(ZCRX_EVENT_DESC_FLAG_STATS == 1);
// areas added at run time (upstream 7.3)
static_assert(ZCRX_CTRL_ADD_AREA == 3);

// Registration.
static_assert(sizeof(io_uring_zcrx_ifq_reg) == 96);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, if_idx, 0);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, if_rxq, 4);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, rq_entries, 8);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, flags, 12);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, area_ptr, 16);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, region_ptr, 24);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, offsets, 32);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, zcrx_id, 64);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, rx_buf_len, 68);
ZCRX_HEADER_AT(io_uring_zcrx_ifq_reg, event_desc, 72);

static_assert(sizeof(zcrx_event_desc) == 96);
ZCRX_HEADER_AT(zcrx_event_desc, user_data, 0);
ZCRX_HEADER_AT(zcrx_event_desc, type_mask, 8);
ZCRX_HEADER_AT(zcrx_event_desc, flags, 12);
ZCRX_HEADER_AT(zcrx_event_desc, stats_offset, 16);
static_assert(sizeof(zcrx_stats) == 16);
ZCRX_HEADER_AT(zcrx_stats, copy_count, 0);
ZCRX_HEADER_AT(zcrx_stats, copy_bytes, 8);

static_assert(sizeof(io_uring_zcrx_area_reg) == 48);
ZCRX_HEADER_AT(io_uring_zcrx_area_reg, addr, 0);
ZCRX_HEADER_AT(io_uring_zcrx_area_reg, len, 8);
ZCRX_HEADER_AT(io_uring_zcrx_area_reg, rq_area_token, 16);
ZCRX_HEADER_AT(io_uring_zcrx_area_reg, flags, 24);
ZCRX_HEADER_AT(io_uring_zcrx_area_reg, dmabuf_fd, 28);

static_assert(sizeof(io_uring_zcrx_offsets) == 32);
ZCRX_HEADER_AT(io_uring_zcrx_offsets, head, 0);
ZCRX_HEADER_AT(io_uring_zcrx_offsets, tail, 4);
ZCRX_HEADER_AT(io_uring_zcrx_offsets, rqes, 8);

// The refill entry and the upper half of a RECV_ZC completion.
static_assert(sizeof(io_uring_zcrx_rqe) == 16);
ZCRX_HEADER_AT(io_uring_zcrx_rqe, off, 0);
ZCRX_HEADER_AT(io_uring_zcrx_rqe, len, 8);
static_assert(sizeof(io_uring_zcrx_cqe) == 16);
ZCRX_HEADER_AT(io_uring_zcrx_cqe, off, 0);

// IORING_REGISTER_ZCRX_CTRL's argument.
static_assert(sizeof(zcrx_ctrl) == 72);
ZCRX_HEADER_AT(zcrx_ctrl, zcrx_id, 0);
ZCRX_HEADER_AT(zcrx_ctrl, op, 4);
ZCRX_HEADER_AT(zcrx_ctrl, zc_export, 24);
ZCRX_HEADER_AT(zcrx_ctrl, zc_flush, 24);
static_assert(sizeof(zcrx_ctrl_export) == 48);
ZCRX_HEADER_AT(zcrx_ctrl_export, zcrx_fd, 0);
static_assert(sizeof(zcrx_ctrl_flush_rq) == 48);
ZCRX_HEADER_AT(zcrx_ctrl, zc_area, 24);
static_assert(sizeof(zcrx_ctrl_add_area) == 48);
ZCRX_HEADER_AT(zcrx_ctrl_add_area, area_ptr, 0);

#undef ZCRX_HEADER_AT

// What such a program writes: a device-less registration and a flush, with
// the header's own names only.
[[maybe_unused]] constexpr io_uring_zcrx_ifq_reg nodev_reg() {
    io_uring_zcrx_ifq_reg reg{};
    reg.flags = ZCRX_REG_NODEV;
    reg.rq_entries = 64;
    reg.rx_buf_len = 16384;
    return reg;
}
static_assert(nodev_reg().flags == 2 && nodev_reg().if_idx == 0 && nodev_reg().if_rxq == 0);

[[maybe_unused]] constexpr zcrx_ctrl flush_of(__u32 id) {
    zcrx_ctrl ctrl{};
    ctrl.zcrx_id = id;
    ctrl.op = ZCRX_CTRL_FLUSH_RQ;
    return ctrl;
}
static_assert(flush_of(3).zcrx_id == 3 && flush_of(3).op == 0);

// And one that adds an area to a live ifq (7.3).
[[maybe_unused]] constexpr zcrx_ctrl add_area_of(__u32 id, __u64 area_reg_addr) {
    zcrx_ctrl ctrl{};
    ctrl.zcrx_id = id;
    ctrl.op = ZCRX_CTRL_ADD_AREA;
    ctrl.zc_area.area_ptr = area_reg_addr;
    return ctrl;
}
static_assert(add_area_of(1, 0x1000).op == 3 && add_area_of(1, 0x1000).zc_area.area_ptr == 0x1000);

} // namespace
