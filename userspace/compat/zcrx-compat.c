// SPDX-License-Identifier: GPL-2.0
/*
 * zcrx-compat IFINDEX QUEUE: a C program written against upstream 6.19's
 * zero-copy receive uAPI (upstream-6.19-zcrx.h, not this tree's headers)
 * drives the running kernel through what 6.19 users call: the query
 * interface, registration on RX queue QUEUE of interface IFINDEX, a
 * refill-queue flush, and exporting the interface queue to a second ring,
 * which imports it and flushes through its own id. Prints one line per
 * step; exits 0 if every step gave what 6.19 gives, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "upstream-6.19-zcrx.h"

#define RQ_ENTRIES	64
#define AREA_LEN	(64 * 4096)

static int failed;

static void step(int good, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", good ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!good)
		failed = 1;
}

static int reg(int fd, unsigned int op, void *arg, unsigned int nr)
{
	return syscall(__NR_io_uring_register, fd, op, arg, nr) < 0 ? -errno : 0;
}

static int ring_setup(void)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32;
	fd = syscall(__NR_io_uring_setup, 8, &p);
	return fd < 0 ? -errno : fd;
}

static void query(void)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_zcrx z;
	struct io_uring_query_scq scq;
	struct io_uring_query_hdr h[3];
	int ret;

	memset(h, 0, sizeof(h));
	memset(&op, 0, sizeof(op));
	memset(&z, 0, sizeof(z));
	memset(&scq, 0, sizeof(scq));
	h[0].query_op = IO_URING_QUERY_OPCODES;
	h[0].query_data = (__u64)(uintptr_t)&op;
	h[0].size = sizeof(op);
	h[0].next_entry = (__u64)(uintptr_t)&h[1];
	h[1].query_op = IO_URING_QUERY_ZCRX;
	h[1].query_data = (__u64)(uintptr_t)&z;
	h[1].size = sizeof(z);
	h[1].next_entry = (__u64)(uintptr_t)&h[2];
	h[2].query_op = IO_URING_QUERY_SCQ;
	h[2].query_data = (__u64)(uintptr_t)&scq;
	h[2].size = sizeof(scq);

	ret = reg(-1, IORING_REGISTER_QUERY, h, 0);
	step(!ret && !h[0].result && !h[1].result && !h[2].result,
	     "IORING_REGISTER_QUERY: %d, results %d %d %d", ret, h[0].result,
	     h[1].result, h[2].result);
	step(op.nr_register_opcodes > IORING_REGISTER_ZCRX_CTRL,
	     "query: %u register opcodes, IORING_REGISTER_ZCRX_CTRL among them",
	     op.nr_register_opcodes);
	step(z.register_flags & ZCRX_REG_IMPORT,
	     "query: zcrx register flags %#llx include ZCRX_REG_IMPORT",
	     (unsigned long long)z.register_flags);
	step(z.nr_ctrl_opcodes > ZCRX_CTRL_EXPORT,
	     "query: %u zcrx control ops, ZCRX_CTRL_EXPORT among them",
	     z.nr_ctrl_opcodes);
	step(z.rq_hdr_size >= 8 && z.rq_hdr_alignment &&
	     !(z.rq_hdr_alignment & (z.rq_hdr_alignment - 1)),
	     "query: refill header %u bytes, aligned to %u", z.rq_hdr_size,
	     z.rq_hdr_alignment);
}

static int ctrl(int ring, __u32 id, __u32 op, struct zcrx_ctrl *c)
{
	memset(c, 0, sizeof(*c));
	c->zcrx_id = id;
	c->op = op;
	return reg(ring, IORING_REGISTER_ZCRX_CTRL, c, 0);
}

int main(int argc, char **argv)
{
	struct io_uring_zcrx_ifq_reg r, imp;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
	int ring, ring2, ret, efd;
	struct zcrx_ctrl c;
	void *mem, *rq;

	if (argc != 3) {
		fprintf(stderr, "usage: zcrx-compat IFINDEX QUEUE\n");
		return 2;
	}
	query();

	ring = ring_setup();
	ring2 = ring_setup();
	if (ring < 0 || ring2 < 0) {
		step(0, "io_uring_setup: %s", strerror(-(ring < 0 ? ring : ring2)));
		return 1;
	}
	mem = mmap(NULL, AREA_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rq = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || rq == MAP_FAILED) {
		step(0, "mmap: %s", strerror(errno));
		return 1;
	}

	memset(&area, 0, sizeof(area));
	area.addr = (__u64)(uintptr_t)mem;
	area.len = AREA_LEN;
	memset(&rd, 0, sizeof(rd));
	rd.user_addr = (__u64)(uintptr_t)rq;
	rd.size = 4096;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	memset(&r, 0, sizeof(r));
	r.if_idx = strtoul(argv[1], NULL, 0);
	r.if_rxq = strtoul(argv[2], NULL, 0);
	r.rq_entries = RQ_ENTRIES;
	r.area_ptr = (__u64)(uintptr_t)&area;
	r.region_ptr = (__u64)(uintptr_t)&rd;
	ret = reg(ring, IORING_REGISTER_ZCRX_IFQ, &r, 1);
	step(!ret, "IORING_REGISTER_ZCRX_IFQ: %s, zcrx_id %u", strerror(-ret),
	     r.zcrx_id);
	if (ret)
		return 1;
	step(r.rq_entries == RQ_ENTRIES && area.rq_area_token >> 48 == 0 &&
	     r.offsets.rqes >= 8 &&
	     r.offsets.rqes + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe) <= rd.size,
	     "registration: %u entries at %u, head %u, tail %u", r.rq_entries,
	     r.offsets.rqes, r.offsets.head, r.offsets.tail);

	ret = ctrl(ring, r.zcrx_id, ZCRX_CTRL_FLUSH_RQ, &c);
	step(!ret, "ZCRX_CTRL_FLUSH_RQ: %s", strerror(-ret));
	ret = ctrl(ring, r.zcrx_id, ZCRX_CTRL_EXPORT, &c);
	efd = (int)c.zc_export.zcrx_fd;
	step(!ret && efd > 2 && (fcntl(efd, F_GETFD) & FD_CLOEXEC),
	     "ZCRX_CTRL_EXPORT: %s, close-on-exec fd %d", strerror(-ret), efd);
	if (ret)
		return 1;

	memset(&imp, 0, sizeof(imp));
	imp.flags = ZCRX_REG_IMPORT;
	imp.if_idx = efd;
	ret = reg(ring2, IORING_REGISTER_ZCRX_IFQ, &imp, 1);
	close(efd);
	step(!ret && imp.rq_entries == r.rq_entries &&
	     !memcmp(&imp.offsets, &r.offsets, sizeof(r.offsets)),
	     "ZCRX_REG_IMPORT into a second ring: %s, zcrx_id %u",
	     strerror(-ret), imp.zcrx_id);
	ret = ctrl(ring2, imp.zcrx_id, ZCRX_CTRL_FLUSH_RQ, &c);
	step(!ret, "ZCRX_CTRL_FLUSH_RQ through the importing ring: %s",
	     strerror(-ret));
	/* not 6.19's __ZCRX_CTRL_LAST: later kernels give that number a use */
	ret = ctrl(ring, r.zcrx_id, __ZCRX_CTRL_LAST + 1000, &c);
	step(ret == -EOPNOTSUPP, "an unknown control op: %s (EOPNOTSUPP)",
	     strerror(-ret));

	close(ring2);
	close(ring);
	return failed;
}
