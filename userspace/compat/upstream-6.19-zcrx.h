/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io_uring zero-copy receive uAPI as upstream Linux 6.19 defines it:
 * the names, numbers and layouts a program written against 6.19's
 * <linux/io_uring.h> and <linux/io_uring/query.h> uses, and only those
 * it needs here. Written for the compatibility check (zcrx-compat.c),
 * which includes this instead of the kernel's headers, so that any drift
 * between the series' uAPI and upstream's shows up as a failing program.
 * The sizes are checked below against the ones upstream documents.
 */
#ifndef ZCRX_UPSTREAM_6_19_H
#define ZCRX_UPSTREAM_6_19_H

#include <stddef.h>
#include <stdint.h>

typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef int32_t __s32;
typedef uint64_t __u64;

/* io_uring_setup() */
#define IORING_SETUP_CQE32		(1U << 11)
#define IORING_SETUP_SINGLE_ISSUER	(1U << 12)
#define IORING_SETUP_DEFER_TASKRUN	(1U << 13)

struct io_sqring_offsets {
	__u32 head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
	__u64 user_addr;
};

struct io_cqring_offsets {
	__u32 head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
	__u64 user_addr;
};

struct io_uring_params {
	__u32 sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle;
	__u32 features, wq_fd, resv[3];
	struct io_sqring_offsets sq_off;
	struct io_cqring_offsets cq_off;
};

/* io_uring_register() opcodes */
#define IORING_REGISTER_ZCRX_IFQ	32
#define IORING_REGISTER_QUERY		35
#define IORING_REGISTER_ZCRX_CTRL	36

#define IORING_MEM_REGION_TYPE_USER	1

struct io_uring_region_desc {
	__u64 user_addr;
	__u64 size;
	__u32 flags;
	__u32 id;
	__u64 mmap_offset;
	__u64 __resv[4];
};

struct io_uring_zcrx_rqe {
	__u64 off;
	__u32 len;
	__u32 __pad;
};

struct io_uring_zcrx_offsets {
	__u32 head;
	__u32 tail;
	__u32 rqes;
	__u32 __resv2;
	__u64 __resv[2];
};

enum io_uring_zcrx_area_flags {
	IORING_ZCRX_AREA_DMABUF = 1,
};

struct io_uring_zcrx_area_reg {
	__u64 addr;
	__u64 len;
	__u64 rq_area_token;
	__u32 flags;
	__u32 dmabuf_fd;
	__u64 __resv2[2];
};

enum zcrx_reg_flags {
	ZCRX_REG_IMPORT = 1,
};

struct io_uring_zcrx_ifq_reg {
	__u32 if_idx;
	__u32 if_rxq;
	__u32 rq_entries;
	__u32 flags;
	__u64 area_ptr;
	__u64 region_ptr;
	struct io_uring_zcrx_offsets offsets;
	__u32 zcrx_id;
	__u32 __resv2;
	__u64 __resv[3];
};

enum zcrx_ctrl_op {
	ZCRX_CTRL_FLUSH_RQ,
	ZCRX_CTRL_EXPORT,
	__ZCRX_CTRL_LAST,
};

struct zcrx_ctrl_flush_rq {
	__u64 __resv[6];
};

struct zcrx_ctrl_export {
	__u32 zcrx_fd;
	__u32 __resv1[11];
};

struct zcrx_ctrl {
	__u32 zcrx_id;
	__u32 op;
	__u64 __resv[2];
	union {
		struct zcrx_ctrl_export zc_export;
		struct zcrx_ctrl_flush_rq zc_flush;
	};
};

/* <linux/io_uring/query.h> */
enum {
	IO_URING_QUERY_OPCODES = 0,
	IO_URING_QUERY_ZCRX = 1,
	IO_URING_QUERY_SCQ = 2,
};

struct io_uring_query_hdr {
	__u64 next_entry;
	__u64 query_data;
	__u32 query_op;
	__u32 size;
	__s32 result;
	__u32 __resv[3];
};

struct io_uring_query_opcode {
	__u32 nr_request_opcodes;
	__u32 nr_register_opcodes;
	__u64 feature_flags;
	__u64 ring_setup_flags;
	__u64 enter_flags;
	__u64 sqe_flags;
	__u32 nr_query_opcodes;
	__u32 __pad;
};

struct io_uring_query_zcrx {
	__u64 register_flags;
	__u64 area_flags;
	__u32 nr_ctrl_opcodes;
	__u32 features;
	__u32 rq_hdr_size;
	__u32 rq_hdr_alignment;
	__u64 __resv2;
};

struct io_uring_query_scq {
	__u64 hdr_size;
	__u64 hdr_alignment;
};

/* the sizes upstream's layouts have */
_Static_assert(sizeof(struct io_uring_params) == 120, "io_uring_params");
_Static_assert(sizeof(struct io_uring_region_desc) == 64, "region_desc");
_Static_assert(sizeof(struct io_uring_zcrx_offsets) == 32, "zcrx_offsets");
_Static_assert(sizeof(struct io_uring_zcrx_area_reg) == 48, "zcrx_area_reg");
_Static_assert(sizeof(struct io_uring_zcrx_ifq_reg) == 96, "zcrx_ifq_reg");
_Static_assert(sizeof(struct zcrx_ctrl) == 72, "zcrx_ctrl");
_Static_assert(offsetof(struct zcrx_ctrl, zc_export) == 24, "zc_export");
_Static_assert(sizeof(struct io_uring_query_hdr) == 40, "query_hdr");
_Static_assert(sizeof(struct io_uring_query_zcrx) == 40, "query_zcrx");

#endif
