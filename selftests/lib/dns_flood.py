#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# A client flooding DNS queries from spoofed sources of its LAN: COUNT UDP
# queries out of DEV to the gateway's MAC, each from 192.0.2.FIRST..LAST
# (in turn), its own port and id, to SERVER port 53, with TTL 64. Stops
# after COUNT frames or SECONDS, whichever comes first; prints the count sent.
#
#	dns_flood.py DEV GW_MAC SERVER FIRST LAST COUNT SECONDS
import socket
import struct
import sys
import time

dev, gw_mac, server = sys.argv[1], sys.argv[2], sys.argv[3]
first, last, count, seconds = (int(a) for a in sys.argv[4:8])

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
src_mac = s.getsockname()[4]
eth = bytes.fromhex(gw_mac.replace(':', '')) + src_mac + b'\x08\x00'
qname = b''.join(bytes([len(label)]) + label for label in b'flood.example.net'.split(b'.'))
question = qname + b'\x00' + struct.pack('!HH', 1, 1)
dst = socket.inet_aton(server)


def csum(b):
    s = sum(struct.unpack('!10H', b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


sent, end = 0, time.monotonic() + seconds
span = last - first + 1
while sent < count and (sent % 1024 or time.monotonic() < end):
    dns = struct.pack('!6H', sent & 0xffff, 0x0100, 1, 0, 0, 0) + question
    udp = struct.pack('!4H', 1024 + sent % 60000, 53, 8 + len(dns), 0) + dns
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([192, 0, 2, first + sent % span]), dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    s.send(eth + ip + udp)
    sent += 1
print(sent)
