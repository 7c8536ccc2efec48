#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Try to attach an XDP program that passes every frame to a device in the
# current network namespace, and detach it again if that worked:
#
#   xdp-attach.py DEV skb|drv
#
# Prints "attached" or "refused: ERRNO-NAME: KERNEL-MESSAGE" (the netlink
# extended ack); exits 0 when attached, 1 when refused. The program is two
# instructions loaded with bpf(2): the guest has no BPF compiler, and
# ip-link needs an object file.
import ctypes
import errno
import importlib.util
import os
import socket
import struct
import sys

spec = importlib.util.spec_from_file_location(
    "netdev_dump", os.path.join(os.path.dirname(os.path.abspath(__file__)), "netdev-dump.py"))
netdev_dump = importlib.util.module_from_spec(spec)
spec.loader.exec_module(netdev_dump)
attr, attrs = netdev_dump.attr, netdev_dump.attrs

SYS_BPF, BPF_PROG_LOAD, BPF_PROG_TYPE_XDP, XDP_PASS = 321, 5, 6, 2
RTM_SETLINK, NLMSG_ERROR = 19, 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x1, 0x4, 0x100, 0x200
NLA_F_NESTED = 0x8000
IFLA_XDP, IFLA_XDP_FD, IFLA_XDP_FLAGS = 43, 1, 3
XDP_FLAGS = {"skb": 1 << 1, "drv": 1 << 2}
SOL_NETLINK, NETLINK_EXT_ACK, NLMSGERR_ATTR_MSG = 270, 11, 1


def load_pass_program():
    """An XDP program "return XDP_PASS"; returns its fd."""
    insns = struct.pack("=BBhi", 0xB7, 0, 0, XDP_PASS)  # r0 = XDP_PASS
    insns += struct.pack("=BBhi", 0x95, 0, 0, 0)  # exit
    insn_buf = ctypes.create_string_buffer(insns, len(insns))
    license = ctypes.create_string_buffer(b"GPL")
    # prog_type, insn_cnt, insns, license, then zeroes (no log, no flags)
    attr_buf = ctypes.create_string_buffer(
        struct.pack("=IIQQ", BPF_PROG_TYPE_XDP, len(insns) // 8,
                    ctypes.addressof(insn_buf), ctypes.addressof(license)), 128)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(SYS_BPF, BPF_PROG_LOAD, attr_buf, ctypes.c_uint(128))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, "bpf(BPF_PROG_LOAD): " + os.strerror(err))
    return fd


def set_xdp(sock, ifindex, prog_fd, flags):
    """RTM_SETLINK with IFLA_XDP; returns (errno, extack message)."""
    xdp = attr(IFLA_XDP_FD, struct.pack("=i", prog_fd)) + attr(IFLA_XDP_FLAGS, struct.pack("=I", flags))
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, ifindex, 0, 0) + attr(IFLA_XDP | NLA_F_NESTED, xdp)
    sock.send(struct.pack("=IHHII", 16 + len(body), RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body)
    while True:
        data = sock.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            length, mtype, mflags, _, _ = struct.unpack_from("=IHHII", data, off)
            msg = data[off + 16:off + length]
            off += (length + 3) & ~3
            if mtype != NLMSG_ERROR:
                continue
            err = -struct.unpack_from("=i", msg)[0]
            # the error, the request's header (and body unless capped), TLVs
            tlv_off = 4 + (16 if mflags & NLM_F_CAPPED else struct.unpack_from("=I", msg, 4)[0])
            text = ""
            if mflags & NLM_F_ACK_TLVS:
                for atype, val in attrs(msg[tlv_off:]):
                    if atype == NLMSGERR_ATTR_MSG:
                        text = val.rstrip(b"\0").decode(errors="replace")
            return err, text


def main(argv):
    if len(argv) != 3 or argv[2] not in XDP_FLAGS:
        print("usage: xdp-attach.py DEV skb|drv", file=sys.stderr)
        return 2
    ifindex = socket.if_nametoindex(argv[1])
    prog = load_pass_program()
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    sock.bind((0, 0))
    err, text = set_xdp(sock, ifindex, prog, XDP_FLAGS[argv[2]])
    if err == 0:
        print("attached")
        err, text = set_xdp(sock, ifindex, -1, XDP_FLAGS[argv[2]])
        if err:
            print("detaching failed: %s: %s" % (errno.errorcode.get(err, err), text))
            return 3
        return 0
    print("refused: %s: %s" % (errno.errorcode.get(err, err), text))
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        print("xdp-attach.py: %s" % e, file=sys.stderr)
        sys.exit(3)
