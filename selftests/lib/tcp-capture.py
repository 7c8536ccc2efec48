#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count what a packet capture saw of one TCP port's segments.

Either capture live with a plain AF_PACKET socket (the kernel's packet_rcv
path, which trims a clone of every packet to what it may show), or read a
pcap file that tcpdump wrote (its mmap ring, the tpacket_rcv path). For the
IPv4 segments to or from PORT it prints one line:

    segments N data D payload P exposed E truncated T

D of the N segments carried payload, P bytes of it in all; E of those bytes
were in the capture, and T frames were captured shorter than they were.
Other frames are ignored. Exits 1 if the capture fails.
"""

import argparse
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_HLEN = 14


class Counts:
    def __init__(self, port):
        self.port = port
        self.segments = self.data = self.payload = self.exposed = 0
        self.truncated = 0

    def frame(self, data, orig_len):
        """One captured frame: DATA as captured, ORIG_LEN as it was."""
        if len(data) < ETH_HLEN + 20 or data[12:14] != b"\x08\x00":
            return
        ip = data[ETH_HLEN:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != socket.IPPROTO_TCP or len(ip) < ihl + 20:
            return
        tot_len = struct.unpack_from("!H", ip, 2)[0]
        sport, dport = struct.unpack_from("!HH", ip, ihl)
        if self.port not in (sport, dport):
            return
        doff = (ip[ihl + 12] >> 4) * 4
        payload = tot_len - ihl - doff
        self.segments += 1
        if len(data) < orig_len:
            self.truncated += 1
        if payload <= 0:
            return
        self.data += 1
        self.payload += payload
        self.exposed += max(0, min(len(ip), tot_len) - ihl - doff)

    def line(self):
        return (f"segments {self.segments} data {self.data} payload {self.payload}"
                f" exposed {self.exposed} truncated {self.truncated}")


def live(args, counts):
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as s:
        s.bind((args.dev, 0))
        s.settimeout(1)
        end = time.monotonic() + args.seconds
        while time.monotonic() < end and counts.data < args.count:
            try:
                # MSG_TRUNC: the length the kernel had, not what fitted
                data, _ = s.recvfrom(65536, socket.MSG_TRUNC)
            except socket.timeout:
                continue
            counts.frame(data, len(data))


def pcap(args, counts):
    with open(args.pcap, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            raise OSError(f"{args.pcap}: no pcap header")
        magic = struct.unpack_from("<I", head)[0]
        order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            _, _, incl, orig = struct.unpack(order + "IIII", rec)
            counts.frame(f.read(incl), orig)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dev", help="capture live on this device")
    src.add_argument("--pcap", help="read this pcap file")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=1 << 30,
                   help="stop a live capture after this many data segments")
    p.add_argument("--seconds", type=float, default=60,
                   help="stop a live capture after this long")
    args = p.parse_args()
    counts = Counts(args.port)
    try:
        (live if args.dev else pcap)(args, counts)
    except OSError as e:
        print(f"tcp-capture: {e}", file=sys.stderr)
        return 1
    print(counts.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
