#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Dump what the netdev netlink family reports, in the current network
# namespace, one object per line:
#
#   netdev-dump.py page-pools      "ID INFLIGHT live|detached" per page pool
#                                  (detached: its device or queue is gone,
#                                  but it still holds buffers)
#   netdev-dump.py queues IFINDEX  "ID:DMABUF" per RX queue of the device
#                                  (DMABUF "-" if none is bound)
#
# Plain generic netlink dumps: the tree's YNL CLI does the same, but parsing
# its YAML spec costs it about a minute per call on a TCG guest with a debug
# kernel, and the tests poll.
import errno
import os
import socket
import struct
import sys

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NETLINK_GENERIC = 16
NETDEV_CMD_PAGE_POOL_GET, NETDEV_CMD_QUEUE_GET = 5, 10
PP_ID, PP_INFLIGHT, PP_DETACH_TIME = 1, 4, 6
Q_ID, Q_IFINDEX, Q_TYPE, Q_DMABUF = 1, 2, 3, 5
Q_TYPE_RX = 0


def attrs(buf):
    """Yield (type, payload) of the netlink attributes in buf."""
    off = 0
    while off + 4 <= len(buf):
        length, atype = struct.unpack_from("=HH", buf, off)
        if length < 4:
            break
        yield atype & 0x3FFF, buf[off + 4:off + length]
        off += (length + 3) & ~3


def attr(atype, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, atype) + payload + b"\0" * (-length & 3)


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, family, cmd, flags, payload=b""):
        """Send one request; return the payloads of its replies."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        self.sock.send(struct.pack("=IHHII", 16 + len(body), family,
                                   NLM_F_REQUEST | NLM_F_ACK | flags,
                                   self.seq, 0) + body)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, mtype, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if mtype == NLMSG_DONE:
                    return replies
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg)[0]
                    if err:
                        raise OSError(err, os.strerror(err))
                    return replies
                replies.append(msg[4:])  # past the genl header

    def family(self, name):
        for msg in self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
                                attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")):
            for atype, val in attrs(msg):
                if atype == CTRL_ATTR_FAMILY_ID:
                    return struct.unpack("=H", val)[0]
        raise OSError(errno.ENOENT, "no generic netlink family " + name)


def uint(val):
    """A "uint" attribute: 4 or 8 bytes."""
    return int.from_bytes(val, sys.byteorder)


def page_pools(genl, netdev):
    for msg in genl.request(netdev, NETDEV_CMD_PAGE_POOL_GET, NLM_F_DUMP):
        pool = dict(attrs(msg))
        state = "detached" if PP_DETACH_TIME in pool else "live"
        print(uint(pool.get(PP_ID, b"\0")), uint(pool.get(PP_INFLIGHT, b"\0")),
              state)


def queues(genl, netdev, ifindex):
    req = attr(Q_IFINDEX, struct.pack("=I", ifindex))
    for msg in genl.request(netdev, NETDEV_CMD_QUEUE_GET, NLM_F_DUMP, req):
        q = dict(attrs(msg))
        if uint(q.get(Q_TYPE, b"\xff")) != Q_TYPE_RX:
            continue
        dmabuf = uint(q[Q_DMABUF]) if Q_DMABUF in q else "-"
        print("%d:%s" % (uint(q.get(Q_ID, b"\0")), dmabuf))


def main(argv):
    pools = argv[1:] == ["page-pools"]
    if not pools and not (len(argv) == 3 and argv[1] == "queues" and argv[2].isdigit()):
        print("usage: netdev-dump.py page-pools | queues IFINDEX", file=sys.stderr)
        return 2
    genl = Genl()
    netdev = genl.family("netdev")
    if pools:
        page_pools(genl, netdev)
    else:
        queues(genl, netdev, int(argv[2]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        print("netdev-dump.py: %s" % e, file=sys.stderr)
        sys.exit(1)
