// Userspace copy of the zcrx uAPI (DESIGN.md section 3).
//
// These definitions mirror the patched kernel's include/uapi/linux/io_uring.h
// and, for zcrx itself, include/uapi/linux/io_uring/zcrx.h (the split of
// upstream 7.1; <linux/io_uring.h> includes it).
// Names live in zcrx::uapi and never reuse the kernel's C spellings, so one
// translation unit can include both; tests/uapi_check.cpp proves they agree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zcrx::uapi {

// io_uring opcode and register opcode.
inline constexpr std::uint8_t op_recv_zc = 58;         // IORING_OP_RECV_ZC
inline constexpr unsigned int register_zcrx_ifq = 32;  // IORING_REGISTER_ZCRX_IFQ
inline constexpr unsigned int register_query = 35;     // IORING_REGISTER_QUERY (fd may be -1)
inline constexpr unsigned int register_zcrx_ctrl = 36; // IORING_REGISTER_ZCRX_CTRL, nr_args 0

// CQE / refill-entry offset encoding: off = (area_id << shift) | byte_offset.
inline constexpr unsigned int zcrx_area_shift = 48; // IORING_ZCRX_AREA_SHIFT
inline constexpr std::uint64_t zcrx_area_mask =     // IORING_ZCRX_AREA_MASK
    ~((std::uint64_t{1} << zcrx_area_shift) - 1);

// io_uring_region_desc::flags
inline constexpr std::uint32_t mem_region_type_user = 1; // IORING_MEM_REGION_TYPE_USER

// Byte offset of io_uring_sqe::zcrx_ifq_idx (a __u32 in the splice_fd_in union).
inline constexpr std::size_t sqe_zcrx_ifq_idx_offset = 44;

// Ring setup flags a zcrx ring must be created with (IORING_SETUP_*).
inline constexpr std::uint32_t setup_cqe32 = 1U << 11;
inline constexpr std::uint32_t setup_single_issuer = 1U << 12;
inline constexpr std::uint32_t setup_defer_taskrun = 1U << 13;
inline constexpr std::uint32_t setup_required_flags =
    setup_defer_taskrun | setup_single_issuer | setup_cqe32;

// sqe->ioprio flags accepted by RECV_ZC (IORING_RECV_MULTISHOT is required).
inline constexpr std::uint16_t recvsend_poll_first = 1U << 0; // IORING_RECVSEND_POLL_FIRST
inline constexpr std::uint16_t recv_multishot = 1U << 1;      // IORING_RECV_MULTISHOT

// struct io_uring_zcrx_rqe: one refill-ring entry.
struct zcrx_rqe {
    std::uint64_t off;
    std::uint32_t len;
    std::uint32_t pad;
};

// struct io_uring_zcrx_cqe: second half of a 32-byte RECV_ZC CQE.
struct zcrx_cqe {
    std::uint64_t off;
    std::uint64_t pad;
};

// struct io_uring_zcrx_offsets: refill-ring layout inside its region.
struct zcrx_offsets {
    std::uint32_t head;
    std::uint32_t tail;
    std::uint32_t rqes;
    std::uint32_t resv2;
    std::uint64_t resv[2];
};

// struct io_uring_zcrx_area_reg: the user memory area (rq_area_token is output).
// zcrx_area_reg::flags
inline constexpr std::uint32_t area_dmabuf = 1; // IORING_ZCRX_AREA_DMABUF

struct zcrx_area_reg {
    std::uint64_t addr; // user memory; with area_dmabuf, the offset into the dma-buf
    std::uint64_t len;
    std::uint64_t rq_area_token;
    std::uint32_t flags;
    std::uint32_t dmabuf_fd; // with area_dmabuf
    std::uint64_t resv2[2];
};

// zcrx_ifq_reg::flags
inline constexpr std::uint32_t reg_import = 1; // ZCRX_REG_IMPORT: if_idx is an export fd
// ZCRX_REG_NODEV (Linux 7.1): no device; if_idx and if_rxq 0, user memory
// only, and RECV_ZC copies every byte of any TCP socket into the area
inline constexpr std::uint32_t reg_nodev = 2;

// struct io_uring_zcrx_ifq_reg: argument of IORING_REGISTER_ZCRX_IFQ.
struct zcrx_ifq_reg {
    std::uint32_t if_idx;
    std::uint32_t if_rxq;
    std::uint32_t rq_entries;
    std::uint32_t flags;
    std::uint64_t area_ptr;   // -> zcrx_area_reg
    std::uint64_t region_ptr; // -> region_desc
    zcrx_offsets offsets;     // output
    std::uint32_t zcrx_id;    // output
    std::uint32_t rx_buf_len; // bytes per buffer, a power of two; 0: a page
    std::uint64_t event_desc; // -> zcrx_event_desc, or 0 (zcrx_feature_event)
    std::uint64_t resv[2];
};

// Events (Linux 7.2): enum zcrx_event_type, each the bit (1 << type) of
// zcrx_event_desc::type_mask and of an event CQE's res.
inline constexpr std::uint32_t event_alloc_fail = 0; // ZCRX_EVENT_ALLOC_FAIL
inline constexpr std::uint32_t event_copy = 1;       // ZCRX_EVENT_COPY
// zcrx_event_desc::flags: the kernel keeps a zcrx_stats at stats_offset
inline constexpr std::uint32_t event_desc_flag_stats = 1; // ZCRX_EVENT_DESC_FLAG_STATS

// struct zcrx_event_desc
struct zcrx_event_desc {
    std::uint64_t user_data; // of the event CQEs
    std::uint32_t type_mask;
    std::uint32_t flags;
    std::uint64_t stats_offset; // in the refill region, past the entries
    std::uint64_t resv2[9];
};

// struct zcrx_stats: written by the kernel as it copies
struct zcrx_stats {
    std::uint64_t copy_count;
    std::uint64_t copy_bytes;
};

// struct io_uring_region_desc: memory holding the refill ring.
struct region_desc {
    std::uint64_t user_addr;
    std::uint64_t size;
    std::uint32_t flags;
    std::uint32_t id;
    std::uint64_t mmap_offset;
    std::uint64_t resv[4];
};

// IORING_REGISTER_QUERY (linux/io_uring/query.h): a chain of query_hdr, each
// with a buffer for its answer.
inline constexpr std::uint32_t query_op_opcodes = 0;    // IO_URING_QUERY_OPCODES
inline constexpr std::uint32_t query_op_zcrx = 1;       // IO_URING_QUERY_ZCRX
inline constexpr std::uint32_t query_op_scq = 2;        // IO_URING_QUERY_SCQ
inline constexpr std::uint32_t query_op_zcrx_event = 3; // IO_URING_QUERY_ZCRX_EVENT

// struct io_uring_query_hdr
struct query_hdr {
    std::uint64_t next_entry; // user address of the next header, 0 ends the chain
    std::uint64_t query_data; // user address of the answer buffer
    std::uint32_t query_op;
    std::uint32_t size;  // in: buffer size; out: bytes written
    std::int32_t result; // out: 0 or -errno; 0 on input
    std::uint32_t resv[3];
};

// struct io_uring_query_opcode
struct query_opcode {
    std::uint32_t nr_request_opcodes;
    std::uint32_t nr_register_opcodes;
    std::uint64_t feature_flags;
    std::uint64_t ring_setup_flags;
    std::uint64_t enter_flags;
    std::uint64_t sqe_flags;
    std::uint32_t nr_query_opcodes;
    std::uint32_t pad;
};

// struct io_uring_query_zcrx
struct query_zcrx {
    std::uint64_t register_flags;
    std::uint64_t area_flags;
    std::uint32_t nr_ctrl_opcodes;
    std::uint32_t features;
    std::uint32_t rq_hdr_size;
    std::uint32_t rq_hdr_alignment;
    std::uint64_t resv2;
};

// query_zcrx::features
inline constexpr std::uint32_t zcrx_feature_rx_page_size = 1; // ZCRX_FEATURE_RX_PAGE_SIZE
inline constexpr std::uint32_t zcrx_feature_event = 2;        // ZCRX_FEATURE_EVENT

// struct io_uring_query_zcrx_event
struct query_zcrx_event {
    std::uint32_t event_types; // 1 << event_*
    std::uint32_t stats_size;
    std::uint32_t stats_alignment;
    std::uint32_t resv1;
    std::uint64_t resv2[4];
};

// struct io_uring_query_scq
struct query_scq {
    std::uint64_t hdr_size;
    std::uint64_t hdr_alignment;
};

// IORING_REGISTER_ZCRX_CTRL: struct zcrx_ctrl and its operations.
inline constexpr std::uint32_t ctrl_flush_rq = 0;  // ZCRX_CTRL_FLUSH_RQ
inline constexpr std::uint32_t ctrl_export = 1;    // ZCRX_CTRL_EXPORT
inline constexpr std::uint32_t ctrl_arm_event = 2; // ZCRX_CTRL_ARM_EVENT
inline constexpr std::uint32_t ctrl_add_area = 3;  // ZCRX_CTRL_ADD_AREA (Linux 7.3)

// struct zcrx_ctrl_arm_event
struct zcrx_ctrl_arm_event {
    std::uint32_t event_type;
    std::uint32_t resv[11];
};

// struct zcrx_ctrl_flush_rq
struct zcrx_ctrl_flush_rq {
    std::uint64_t resv[6];
};

// struct zcrx_ctrl_export
struct zcrx_ctrl_export {
    std::uint32_t zcrx_fd; // output
    std::uint32_t resv1[11];
};

// struct zcrx_ctrl_add_area: a further area for a live ifq, registered as
// at registration (same rx_buf_len; rq_area_token 0 in, the token out)
struct zcrx_ctrl_add_area {
    std::uint64_t area_ptr; // -> zcrx_area_reg
    std::uint64_t resv[5];
};

// struct zcrx_ctrl
struct zcrx_ctrl {
    std::uint32_t zcrx_id;
    std::uint32_t op;
    std::uint64_t resv[2];
    union {
        zcrx_ctrl_export zc_export;
        zcrx_ctrl_flush_rq zc_flush;
        zcrx_ctrl_arm_event zc_arm_event;
        zcrx_ctrl_add_area zc_area;
    };
};

// Layout is ABI: pin every size and offset here, not only in the kernel check.
#define ZCRX_UAPI_AT(type, field, offset)                                                          \
    static_assert(offsetof(type, field) == (offset), #type "::" #field " offset")

static_assert(sizeof(zcrx_rqe) == 16);
ZCRX_UAPI_AT(zcrx_rqe, off, 0);
ZCRX_UAPI_AT(zcrx_rqe, len, 8);
ZCRX_UAPI_AT(zcrx_rqe, pad, 12);

static_assert(sizeof(zcrx_cqe) == 16);
ZCRX_UAPI_AT(zcrx_cqe, off, 0);
ZCRX_UAPI_AT(zcrx_cqe, pad, 8);

static_assert(sizeof(zcrx_offsets) == 32);
ZCRX_UAPI_AT(zcrx_offsets, head, 0);
ZCRX_UAPI_AT(zcrx_offsets, tail, 4);
ZCRX_UAPI_AT(zcrx_offsets, rqes, 8);
ZCRX_UAPI_AT(zcrx_offsets, resv2, 12);
ZCRX_UAPI_AT(zcrx_offsets, resv, 16);

static_assert(sizeof(zcrx_area_reg) == 48);
ZCRX_UAPI_AT(zcrx_area_reg, addr, 0);
ZCRX_UAPI_AT(zcrx_area_reg, len, 8);
ZCRX_UAPI_AT(zcrx_area_reg, rq_area_token, 16);
ZCRX_UAPI_AT(zcrx_area_reg, flags, 24);
ZCRX_UAPI_AT(zcrx_area_reg, dmabuf_fd, 28);
ZCRX_UAPI_AT(zcrx_area_reg, resv2, 32);

static_assert(sizeof(zcrx_ifq_reg) == 96);
ZCRX_UAPI_AT(zcrx_ifq_reg, if_idx, 0);
ZCRX_UAPI_AT(zcrx_ifq_reg, if_rxq, 4);
ZCRX_UAPI_AT(zcrx_ifq_reg, rq_entries, 8);
ZCRX_UAPI_AT(zcrx_ifq_reg, flags, 12);
ZCRX_UAPI_AT(zcrx_ifq_reg, area_ptr, 16);
ZCRX_UAPI_AT(zcrx_ifq_reg, region_ptr, 24);
ZCRX_UAPI_AT(zcrx_ifq_reg, offsets, 32);
ZCRX_UAPI_AT(zcrx_ifq_reg, zcrx_id, 64);
ZCRX_UAPI_AT(zcrx_ifq_reg, rx_buf_len, 68);
ZCRX_UAPI_AT(zcrx_ifq_reg, event_desc, 72);
ZCRX_UAPI_AT(zcrx_ifq_reg, resv, 80);

static_assert(sizeof(zcrx_event_desc) == 96);
ZCRX_UAPI_AT(zcrx_event_desc, user_data, 0);
ZCRX_UAPI_AT(zcrx_event_desc, type_mask, 8);
ZCRX_UAPI_AT(zcrx_event_desc, flags, 12);
ZCRX_UAPI_AT(zcrx_event_desc, stats_offset, 16);
ZCRX_UAPI_AT(zcrx_event_desc, resv2, 24);
static_assert(sizeof(zcrx_stats) == 16);

static_assert(sizeof(region_desc) == 64);
ZCRX_UAPI_AT(region_desc, user_addr, 0);
ZCRX_UAPI_AT(region_desc, size, 8);
ZCRX_UAPI_AT(region_desc, flags, 16);
ZCRX_UAPI_AT(region_desc, id, 20);
ZCRX_UAPI_AT(region_desc, mmap_offset, 24);
ZCRX_UAPI_AT(region_desc, resv, 32);

static_assert(sizeof(query_hdr) == 40);
ZCRX_UAPI_AT(query_hdr, next_entry, 0);
ZCRX_UAPI_AT(query_hdr, query_data, 8);
ZCRX_UAPI_AT(query_hdr, query_op, 16);
ZCRX_UAPI_AT(query_hdr, size, 20);
ZCRX_UAPI_AT(query_hdr, result, 24);
ZCRX_UAPI_AT(query_hdr, resv, 28);

static_assert(sizeof(query_opcode) == 48);
ZCRX_UAPI_AT(query_opcode, nr_request_opcodes, 0);
ZCRX_UAPI_AT(query_opcode, nr_register_opcodes, 4);
ZCRX_UAPI_AT(query_opcode, feature_flags, 8);
ZCRX_UAPI_AT(query_opcode, ring_setup_flags, 16);
ZCRX_UAPI_AT(query_opcode, enter_flags, 24);
ZCRX_UAPI_AT(query_opcode, sqe_flags, 32);
ZCRX_UAPI_AT(query_opcode, nr_query_opcodes, 40);
ZCRX_UAPI_AT(query_opcode, pad, 44);

static_assert(sizeof(query_zcrx) == 40);
ZCRX_UAPI_AT(query_zcrx, register_flags, 0);
ZCRX_UAPI_AT(query_zcrx, area_flags, 8);
ZCRX_UAPI_AT(query_zcrx, nr_ctrl_opcodes, 16);
ZCRX_UAPI_AT(query_zcrx, features, 20);
ZCRX_UAPI_AT(query_zcrx, rq_hdr_size, 24);
ZCRX_UAPI_AT(query_zcrx, rq_hdr_alignment, 28);
ZCRX_UAPI_AT(query_zcrx, resv2, 32);

static_assert(sizeof(query_zcrx_event) == 48);
ZCRX_UAPI_AT(query_zcrx_event, stats_size, 4);
ZCRX_UAPI_AT(query_zcrx_event, resv2, 16);

static_assert(sizeof(query_scq) == 16);
ZCRX_UAPI_AT(query_scq, hdr_size, 0);
ZCRX_UAPI_AT(query_scq, hdr_alignment, 8);

static_assert(sizeof(zcrx_ctrl) == 72);
ZCRX_UAPI_AT(zcrx_ctrl, zcrx_id, 0);
ZCRX_UAPI_AT(zcrx_ctrl, op, 4);
ZCRX_UAPI_AT(zcrx_ctrl, resv, 8);
ZCRX_UAPI_AT(zcrx_ctrl, zc_flush, 24);
ZCRX_UAPI_AT(zcrx_ctrl, zc_export, 24);
ZCRX_UAPI_AT(zcrx_ctrl, zc_arm_event, 24);
ZCRX_UAPI_AT(zcrx_ctrl, zc_area, 24);
static_assert(sizeof(zcrx_ctrl_add_area) == 48);
ZCRX_UAPI_AT(zcrx_ctrl_add_area, area_ptr, 0);
ZCRX_UAPI_AT(zcrx_ctrl_add_area, resv, 8);
static_assert(sizeof(zcrx_ctrl_arm_event) == 48);
static_assert(sizeof(zcrx_ctrl_export) == 48);
ZCRX_UAPI_AT(zcrx_ctrl_export, resv1, 4);

#undef ZCRX_UAPI_AT

} // namespace zcrx::uapi
