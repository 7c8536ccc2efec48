// Compile-time proof that zcrx/uapi.hpp matches the patched kernel's uAPI.
//
// Built against the headers exported by the patched tree (make headers_install,
// passed as -Dkernel_headers=...). Deliberately does not include <liburing.h>,
// whose bundled io_uring.h (liburing 2.3) predates zcrx and would shadow the
// kernel's. Any mismatch fails the build; the program itself does nothing.
#include <linux/io_uring.h>
#include <linux/io_uring/query.h>

#include <cstddef>
#include <type_traits>

#include "zcrx/uapi.hpp"

namespace {

namespace u = zcrx::uapi;

// Same size, alignment, array shape and signedness. The kernel's __u64 is
// unsigned long long while std::uint64_t is unsigned long on LP64, so exact
// type identity is not the right test.
template <typename K, typename U>
constexpr bool
    same_shape = sizeof(K) == sizeof(U) && alignof(K) == alignof(U) &&
                 std::rank_v<K> == std::rank_v<U> &&std::extent_v<K> ==
                     std::extent_v<U> &&std::is_unsigned_v<std::remove_all_extents_t<K>> ==
                     std::is_unsigned_v<std::remove_all_extents_t<U>>;

} // namespace

#define SAME_VALUE(kname, uname)                                                                   \
    static_assert(static_cast<unsigned long long>(kname) ==                                        \
                      static_cast<unsigned long long>(uname),                                      \
                  #kname " != " #uname)

#define SAME_STRUCT(kstruct, ustruct)                                                              \
    static_assert(sizeof(kstruct) == sizeof(ustruct) && alignof(kstruct) == alignof(ustruct),      \
                  "size/alignment of " #kstruct " != " #ustruct)

#define SAME_FIELD(kstruct, kfield, ustruct, ufield)                                               \
    static_assert(offsetof(kstruct, kfield) == offsetof(ustruct, ufield),                          \
                  "offset of " #kstruct "::" #kfield " != " #ustruct "::" #ufield);                \
    static_assert(same_shape<decltype(kstruct::kfield), decltype(ustruct::ufield)>,                \
                  "type of " #kstruct "::" #kfield " != " #ustruct "::" #ufield)

// Constants.
SAME_VALUE(IORING_OP_RECV_ZC, u::op_recv_zc);
SAME_VALUE(IORING_REGISTER_ZCRX_IFQ, u::register_zcrx_ifq);
SAME_VALUE(IORING_ZCRX_AREA_SHIFT, u::zcrx_area_shift);
SAME_VALUE(IORING_ZCRX_AREA_MASK, u::zcrx_area_mask);
SAME_VALUE(IORING_MEM_REGION_TYPE_USER, u::mem_region_type_user);
SAME_VALUE(IORING_SETUP_CQE32, u::setup_cqe32);
SAME_VALUE(IORING_SETUP_SINGLE_ISSUER, u::setup_single_issuer);
SAME_VALUE(IORING_SETUP_DEFER_TASKRUN, u::setup_defer_taskrun);
SAME_VALUE(IORING_RECVSEND_POLL_FIRST, u::recvsend_poll_first);
SAME_VALUE(IORING_RECV_MULTISHOT, u::recv_multishot);

// The ifq index in the SQE, which must stay 64 bytes.
static_assert(sizeof(io_uring_sqe) == 64, "struct io_uring_sqe is not 64 bytes");
SAME_VALUE(offsetof(io_uring_sqe, zcrx_ifq_idx), u::sqe_zcrx_ifq_idx_offset);
static_assert(same_shape<decltype(io_uring_sqe::zcrx_ifq_idx), std::uint32_t>,
              "io_uring_sqe::zcrx_ifq_idx is not a __u32");

SAME_STRUCT(io_uring_zcrx_rqe, u::zcrx_rqe);
SAME_FIELD(io_uring_zcrx_rqe, off, u::zcrx_rqe, off);
SAME_FIELD(io_uring_zcrx_rqe, len, u::zcrx_rqe, len);
SAME_FIELD(io_uring_zcrx_rqe, __pad, u::zcrx_rqe, pad);

SAME_STRUCT(io_uring_zcrx_cqe, u::zcrx_cqe);
SAME_FIELD(io_uring_zcrx_cqe, off, u::zcrx_cqe, off);
SAME_FIELD(io_uring_zcrx_cqe, __pad, u::zcrx_cqe, pad);

SAME_STRUCT(io_uring_zcrx_offsets, u::zcrx_offsets);
SAME_FIELD(io_uring_zcrx_offsets, head, u::zcrx_offsets, head);
SAME_FIELD(io_uring_zcrx_offsets, tail, u::zcrx_offsets, tail);
SAME_FIELD(io_uring_zcrx_offsets, rqes, u::zcrx_offsets, rqes);
SAME_FIELD(io_uring_zcrx_offsets, __resv2, u::zcrx_offsets, resv2);
SAME_FIELD(io_uring_zcrx_offsets, __resv, u::zcrx_offsets, resv);

SAME_STRUCT(io_uring_zcrx_area_reg, u::zcrx_area_reg);
SAME_FIELD(io_uring_zcrx_area_reg, addr, u::zcrx_area_reg, addr);
SAME_FIELD(io_uring_zcrx_area_reg, len, u::zcrx_area_reg, len);
SAME_FIELD(io_uring_zcrx_area_reg, rq_area_token, u::zcrx_area_reg, rq_area_token);
SAME_FIELD(io_uring_zcrx_area_reg, flags, u::zcrx_area_reg, flags);
SAME_FIELD(io_uring_zcrx_area_reg, dmabuf_fd, u::zcrx_area_reg, dmabuf_fd);
SAME_VALUE(IORING_ZCRX_AREA_DMABUF, u::area_dmabuf);
SAME_FIELD(io_uring_zcrx_area_reg, __resv2, u::zcrx_area_reg, resv2);

SAME_STRUCT(io_uring_zcrx_ifq_reg, u::zcrx_ifq_reg);
SAME_FIELD(io_uring_zcrx_ifq_reg, if_idx, u::zcrx_ifq_reg, if_idx);
SAME_FIELD(io_uring_zcrx_ifq_reg, if_rxq, u::zcrx_ifq_reg, if_rxq);
SAME_FIELD(io_uring_zcrx_ifq_reg, rq_entries, u::zcrx_ifq_reg, rq_entries);
SAME_FIELD(io_uring_zcrx_ifq_reg, flags, u::zcrx_ifq_reg, flags);
SAME_FIELD(io_uring_zcrx_ifq_reg, area_ptr, u::zcrx_ifq_reg, area_ptr);
SAME_FIELD(io_uring_zcrx_ifq_reg, region_ptr, u::zcrx_ifq_reg, region_ptr);
SAME_FIELD(io_uring_zcrx_ifq_reg, offsets, u::zcrx_ifq_reg, offsets);
SAME_FIELD(io_uring_zcrx_ifq_reg, zcrx_id, u::zcrx_ifq_reg, zcrx_id);
SAME_FIELD(io_uring_zcrx_ifq_reg, rx_buf_len, u::zcrx_ifq_reg, rx_buf_len);
SAME_FIELD(io_uring_zcrx_ifq_reg, event_desc, u::zcrx_ifq_reg, event_desc);
SAME_FIELD(io_uring_zcrx_ifq_reg, __resv, u::zcrx_ifq_reg, resv);

// Events and statistics
SAME_VALUE(ZCRX_EVENT_ALLOC_FAIL, u::event_alloc_fail);
SAME_VALUE(ZCRX_EVENT_COPY, u::event_copy);
SAME_VALUE(ZCRX_EVENT_DESC_FLAG_STATS, u::event_desc_flag_stats);
SAME_VALUE(ZCRX_FEATURE_EVENT, u::zcrx_feature_event);
SAME_STRUCT(zcrx_event_desc, u::zcrx_event_desc);
SAME_FIELD(zcrx_event_desc, user_data, u::zcrx_event_desc, user_data);
SAME_FIELD(zcrx_event_desc, type_mask, u::zcrx_event_desc, type_mask);
SAME_FIELD(zcrx_event_desc, flags, u::zcrx_event_desc, flags);
SAME_FIELD(zcrx_event_desc, stats_offset, u::zcrx_event_desc, stats_offset);
SAME_FIELD(zcrx_event_desc, __resv2, u::zcrx_event_desc, resv2);
SAME_STRUCT(zcrx_stats, u::zcrx_stats);
SAME_FIELD(zcrx_stats, copy_count, u::zcrx_stats, copy_count);
SAME_FIELD(zcrx_stats, copy_bytes, u::zcrx_stats, copy_bytes);
SAME_VALUE(IO_URING_QUERY_ZCRX_EVENT, u::query_op_zcrx_event);
SAME_STRUCT(io_uring_query_zcrx_event, u::query_zcrx_event);
SAME_FIELD(io_uring_query_zcrx_event, event_types, u::query_zcrx_event, event_types);
SAME_FIELD(io_uring_query_zcrx_event, stats_size, u::query_zcrx_event, stats_size);
SAME_FIELD(io_uring_query_zcrx_event, stats_alignment, u::query_zcrx_event, stats_alignment);
SAME_FIELD(io_uring_query_zcrx_event, __resv1, u::query_zcrx_event, resv1);
SAME_FIELD(io_uring_query_zcrx_event, __resv2, u::query_zcrx_event, resv2);

SAME_STRUCT(io_uring_region_desc, u::region_desc);
SAME_FIELD(io_uring_region_desc, user_addr, u::region_desc, user_addr);
SAME_FIELD(io_uring_region_desc, size, u::region_desc, size);
SAME_FIELD(io_uring_region_desc, flags, u::region_desc, flags);
SAME_FIELD(io_uring_region_desc, id, u::region_desc, id);
SAME_FIELD(io_uring_region_desc, mmap_offset, u::region_desc, mmap_offset);
SAME_FIELD(io_uring_region_desc, __resv, u::region_desc, resv);

// IORING_REGISTER_QUERY (linux/io_uring/query.h).
SAME_VALUE(IORING_REGISTER_QUERY, u::register_query);
SAME_VALUE(IO_URING_QUERY_OPCODES, u::query_op_opcodes);
SAME_VALUE(IO_URING_QUERY_ZCRX, u::query_op_zcrx);
SAME_VALUE(IO_URING_QUERY_SCQ, u::query_op_scq);

SAME_STRUCT(io_uring_query_hdr, u::query_hdr);
SAME_FIELD(io_uring_query_hdr, next_entry, u::query_hdr, next_entry);
SAME_FIELD(io_uring_query_hdr, query_data, u::query_hdr, query_data);
SAME_FIELD(io_uring_query_hdr, query_op, u::query_hdr, query_op);
SAME_FIELD(io_uring_query_hdr, size, u::query_hdr, size);
SAME_FIELD(io_uring_query_hdr, result, u::query_hdr, result);
SAME_FIELD(io_uring_query_hdr, __resv, u::query_hdr, resv);

SAME_STRUCT(io_uring_query_opcode, u::query_opcode);
SAME_FIELD(io_uring_query_opcode, nr_request_opcodes, u::query_opcode, nr_request_opcodes);
SAME_FIELD(io_uring_query_opcode, nr_register_opcodes, u::query_opcode, nr_register_opcodes);
SAME_FIELD(io_uring_query_opcode, feature_flags, u::query_opcode, feature_flags);
SAME_FIELD(io_uring_query_opcode, ring_setup_flags, u::query_opcode, ring_setup_flags);
SAME_FIELD(io_uring_query_opcode, enter_flags, u::query_opcode, enter_flags);
SAME_FIELD(io_uring_query_opcode, sqe_flags, u::query_opcode, sqe_flags);
SAME_FIELD(io_uring_query_opcode, nr_query_opcodes, u::query_opcode, nr_query_opcodes);
SAME_FIELD(io_uring_query_opcode, __pad, u::query_opcode, pad);

SAME_STRUCT(io_uring_query_zcrx, u::query_zcrx);
SAME_FIELD(io_uring_query_zcrx, register_flags, u::query_zcrx, register_flags);
SAME_FIELD(io_uring_query_zcrx, area_flags, u::query_zcrx, area_flags);
SAME_FIELD(io_uring_query_zcrx, nr_ctrl_opcodes, u::query_zcrx, nr_ctrl_opcodes);
SAME_FIELD(io_uring_query_zcrx, features, u::query_zcrx, features);
SAME_FIELD(io_uring_query_zcrx, rq_hdr_size, u::query_zcrx, rq_hdr_size);
SAME_FIELD(io_uring_query_zcrx, rq_hdr_alignment, u::query_zcrx, rq_hdr_alignment);
SAME_FIELD(io_uring_query_zcrx, __resv2, u::query_zcrx, resv2);

// IORING_REGISTER_ZCRX_CTRL
SAME_VALUE(IORING_REGISTER_ZCRX_CTRL, u::register_zcrx_ctrl);
SAME_VALUE(ZCRX_CTRL_FLUSH_RQ, u::ctrl_flush_rq);
SAME_VALUE(ZCRX_CTRL_EXPORT, u::ctrl_export);
SAME_VALUE(ZCRX_CTRL_ARM_EVENT, u::ctrl_arm_event);
SAME_VALUE(ZCRX_REG_IMPORT, u::reg_import);
SAME_VALUE(ZCRX_REG_NODEV, u::reg_nodev);
SAME_VALUE(ZCRX_FEATURE_RX_PAGE_SIZE, u::zcrx_feature_rx_page_size);
SAME_STRUCT(zcrx_ctrl, u::zcrx_ctrl);
SAME_FIELD(zcrx_ctrl, zcrx_id, u::zcrx_ctrl, zcrx_id);
SAME_FIELD(zcrx_ctrl, op, u::zcrx_ctrl, op);
SAME_FIELD(zcrx_ctrl, __resv, u::zcrx_ctrl, resv);
SAME_FIELD(zcrx_ctrl, zc_flush, u::zcrx_ctrl, zc_flush);
SAME_FIELD(zcrx_ctrl, zc_export, u::zcrx_ctrl, zc_export);
SAME_STRUCT(zcrx_ctrl_export, u::zcrx_ctrl_export);
SAME_FIELD(zcrx_ctrl_export, zcrx_fd, u::zcrx_ctrl_export, zcrx_fd);
SAME_FIELD(zcrx_ctrl_export, __resv1, u::zcrx_ctrl_export, resv1);
SAME_STRUCT(zcrx_ctrl_flush_rq, u::zcrx_ctrl_flush_rq);
SAME_FIELD(zcrx_ctrl, zc_arm_event, u::zcrx_ctrl, zc_arm_event);
SAME_STRUCT(zcrx_ctrl_arm_event, u::zcrx_ctrl_arm_event);
SAME_FIELD(zcrx_ctrl_arm_event, event_type, u::zcrx_ctrl_arm_event, event_type);
SAME_FIELD(zcrx_ctrl_arm_event, __resv, u::zcrx_ctrl_arm_event, resv);
SAME_VALUE(ZCRX_CTRL_ADD_AREA, u::ctrl_add_area);
SAME_FIELD(zcrx_ctrl, zc_area, u::zcrx_ctrl, zc_area);
SAME_STRUCT(zcrx_ctrl_add_area, u::zcrx_ctrl_add_area);
SAME_FIELD(zcrx_ctrl_add_area, area_ptr, u::zcrx_ctrl_add_area, area_ptr);
SAME_FIELD(zcrx_ctrl_add_area, __resv, u::zcrx_ctrl_add_area, resv);

SAME_STRUCT(io_uring_query_scq, u::query_scq);
SAME_FIELD(io_uring_query_scq, hdr_size, u::query_scq, hdr_size);
SAME_FIELD(io_uring_query_scq, hdr_alignment, u::query_scq, hdr_alignment);

int main() {
    return 0;
}
