#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""
Write the seed corpus of the fuzz harnesses into selftests/fuzz/corpus/NAME/,
one small file per seed: configs from README and the unit tests, DNS answers
as bpf/dns_answer.h and user/agent_dns.c read them, names and prefixes, and
WireGuard UAPI replies as wireguard-go writes them. The files are committed;
run this again after changing it.
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, (label, data) in enumerate(seeds):
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, "%02d-%s" % (i, label)), "wb") as f:
            f.write(data)


# Config files (fuzz_config): the bytes of a file.
README_CONF = """\
interface lan0                    # where clients' traffic enters; one or more lines
route 203.0.113.0/24 dev wg0      # static prefix (IPv4 or IPv6) to a target device
route 2001:db8:3::/48 dev wg0
route *.corp.example.com dev wg0  # domain rule: learned from DNS answers
route app.example.org dev wg1
route 198.51.100.0/24 dev wg2 masquerade  # leave with wg2's own address (see Masquerade)
bypass public.corp.example.com    # an exception: the most specific rule wins (see Bypasses)
bypass 203.0.113.128/25           # ... the ordinary path for the upper half of the /24
target wg1 masquerade             # the same for every rule to wg1
target eth1 xdp                   # forward to eth1 in XDP (see The XDP stage)
target wg2 strict no              # while wg2 is down: the ordinary path (see Strict targets)
resolver 192.0.2.53               # trusted DNS servers; repeatable; none: any server
min-ttl 30                        # seconds a learned entry lives at least (default 30)
max-ttl 86400                     # ... and at most (default 86400)
idle-timeout 300                  # unused this long after expiry: gone (default 300)
max-routes 1000000                # learned entries per family (default 1000000)
prefetch yes                      # the agent resolves exact-name rules (default no)
max-client-flows 4096             # masqueraded flows per client address (default 4096)
metrics 192.0.2.1:9472            # the agent serves Prometheus metrics here (default off)
"""
CONFIGS = [
    ("readme", README_CONF),
    ("full", "# bpfroute test configuration\n\ninterface lan0\t\t# clients\n"
     "\tinterface   lan1  \nroute 203.0.113.0/24 dev wg0\n"
     "route\t198.51.100.7\tdev\twg0 # bare address\nroute 2001:DB8:0:1::/64 dev wg1\n"
     "route 2001:db8::1 dev wg1\n   # indented comment\n"
     "route *.Corp.Example.COM. dev wg0\nroute 1e100.net dev wg0\n"),
    ("resolvers", "interface lan0\nresolver 192.0.2.53\nresolver 2001:db8::53\n"
     "resolver ::1/128\nresolver 127.0.0.1/32\n"),
    ("settings", "interface lan0\nmin-ttl 0\nmax-ttl 2147483647\nidle-timeout 0\n"
     "max-routes 16777216\nprefetch no\n"),
    ("targets", "interface lan0\nroute 10.0.0.0/8 dev wg0 masquerade\ntarget wg0 masquerade\n"
     "target eth1 xdp\nroute *.example.com dev eth1\nroute _dmarc.example.com dev eth1\n"),
    ("refused_ttl", "interface lan0\nmax-ttl 10\n"),
    ("refused_hostbits", "interface lan0\nroute 203.0.113.5/24 dev wg0\n"),
    ("refused_crlf", "interface lan0\r\nroute example.com dev wg0\r\n"),
    ("refused_nul", "interface lan0\n# a\0b\n"),
    ("long_name", "interface lan0\nroute " + ".".join(["a" * 63] * 3) + ".abcdefghi dev wg0\n"),
    ("no_newline", "interface abcdefghijklmno\ninterface ..."),
    ("metrics6", "interface lan0\nmetrics [2001:db8::1]:65535\n"),
    ("refused_metrics", "interface lan0\nmetrics gw.example.com:9472\nmetrics 192.0.2.1:0\n"),
    # The list is not there (the harness reads no list files of its own):
    # the route-list line itself, up to the refusal at its line.
    ("route_list", "interface lan0\nroute-list lists/missing.txt dev wg0 masquerade "
     "format v2fly\n"),
    ("strict", "interface lan0\nroute 10.0.0.0/8 dev wg0\ntarget wg0 masquerade strict no\n"
     "target eth1 strict yes xdp\ntarget wg1 strict\n"),
    ("bypass", "interface lan0\nroute *.corp.example.com dev wg0\n"
     "bypass public.corp.example.com\nbypass *.a.corp.example.com\n"
     "route 203.0.113.0/24 dev wg0\nbypass 203.0.113.128/25\nbypass 2001:db8::/32\n"),
    ("refused_bypass_route", "interface lan0\nbypass example.com\n"
     "route example.com dev wg0\n"),
    ("clients", "interface lan0\nclients staff 192.0.2.0/26 2001:db8:1::/64 192.0.2.77\n"
     "clients guests 192.0.2.128/25\nroute 203.0.113.0/24 dev wg0 clients staff\n"
     "route *.corp.example.com dev wg0 masquerade clients guests\n"),
]


# DNS answers (fuzz_answer): a first byte choosing the rule, then the message.
def name(text):
    out = b""
    for label in text.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


PTR_Q = b"\xc0\x0c"  # the question's name, at offset 12


def header(flags=0x8180, an=0, qd=1):
    return struct.pack(">HHHHHH", 0x1234, flags, qd, an, 0, 0)


def question(qname, qtype=1):
    return name(qname) + struct.pack(">HH", qtype, 1)


def rr(owner, rtype, rdata, ttl=300):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


A = lambda s: bytes(int(x) for x in s.split("."))  # noqa: E731


def answers():
    q = "www.corp.example.com"
    seeds = []
    seeds.append(("a", b"\x81" + header(an=2) + question(q) +
                  rr(PTR_Q, 1, A("203.0.113.11")) + rr(PTR_Q, 1, A("203.0.113.12"), 60)))
    seeds.append(("aaaa", b"\x00" + header(an=1) + question(q, 28) +
                  rr(PTR_Q, 28, bytes.fromhex("20010db8000300000000000000000011"))))
    # www -> hop1.example.net -> hop2.example.net -> A, names compressed and not.
    m = header(an=3) + question("chain.corp.example.com")
    hop1_off = len(m) + 12
    m += rr(PTR_Q, 5, name("hop1.example.net"))
    hop1 = struct.pack(">H", 0xc000 | hop1_off)
    m += rr(hop1, 5, b"\x04hop2" + struct.pack(">H", 0xc000 | hop1_off + 5))
    m += rr(name("hop2.example.net"), 1, A("203.0.113.50"))
    seeds.append(("cname_chain", b"\x82" + m))
    seeds.append(("offchain", b"\x01" + header(an=2) + question(q) +
                  rr(name("other.example.net"), 1, A("198.51.100.1")) +
                  rr(PTR_Q, 1, A("203.0.113.11"))))
    m = header(an=2) + question("loop.example.com")
    m += rr(PTR_Q, 5, name("b.example.com")) + rr(name("b.example.com"), 5, PTR_Q)
    seeds.append(("cname_loop", b"\x00" + m))
    m = header(an=17) + question("l0.example.com")
    for i in range(17):
        m += rr(name("l%d.example.com" % i), 5, name("l%d.example.com" % (i + 1)))
    seeds.append(("chain_17", b"\x80" + m))
    seeds.append(("nxdomain", b"\x00" + header(flags=0x8183) + question(q)))
    seeds.append(("query", b"\x00" + header(flags=0x0100) + question(q)))
    seeds.append(("upper_case", b"\x80" + header(an=1) + question("WWW.Corp.Example.COM") +
                  rr(PTR_Q, 1, A("203.0.113.11"))))
    seeds.append(("ptr_loop", b"\x00" + header(an=1) + question(q) +
                  rr(b"\xc0" + bytes([len(header()) + len(question(q)) + 0]), 1,
                     A("203.0.113.11"))))
    seeds.append(("truncated", b"\x00" + (header(an=1) + question(q) +
                                          rr(PTR_Q, 1, A("203.0.113.11")))[:-2]))
    seeds.append(("root", b"\x00" + header(an=1) + question("") + rr(b"\0", 1, A("192.0.2.1"))))
    seeds.append(("text", b"\x00" + b"a\\.b.c\\255\\065.Example.COM."))
    return seeds


# Names and prefixes (fuzz_name_prefix): a first byte sizing the buffers, then text.
NAMES = [
    ("name", b"\xff" + b"corp.example.com"),
    ("name_dot", b"\x12" + b"Corp.Example.COM."),
    ("root", b"\xff" + b"."),
    ("short_buf", b"\x05" + b"example.com"),
    ("label_63", b"\xff" + b"a" * 63 + b".b"),
    ("wire", b"\xff" + name("www.example.com")),
    ("prefix4", b"\x40" + b"203.0.113.0/24"),
    ("prefix6", b"\xff" + b"2001:db8::/32"),
    ("mapped", b"\x2c" + b"::ffff:198.51.100.1/128"),
    ("host4", b"\x08" + b"192.0.2.1"),
    ("hostbits", b"\xff" + b"203.0.113.5/24"),
    ("zero_len", b"\xff" + b"0.0.0.0/0"),
]


# WireGuard UAPI replies (fuzz_wg_uapi): a first byte, room for endpoints, then the reply.
KEY = "a8" * 32
PEER = ("public_key={pk}\npreshared_key=" + "00" * 32 + "\nprotocol_version=1\n"
        "{ep}last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
        "persistent_keepalive_interval=0\nallowed_ip=10.255.0.{n}/32\n")


def reply(endpoints, errno="0", end="\n"):
    s = "private_key=%s\nlisten_port=51820\n" % KEY
    for n, ep in enumerate(endpoints, 1):
        s += PEER.format(pk="%02x" % n * 32, ep="endpoint=%s\n" % ep if ep else "", n=n)
    return s + "errno=%s\n" % errno + end


WG = [
    ("four_peers", b"\x04" + reply(["198.51.100.130:51820", "[2001:db8::2]:51821",
                                    "[::ffff:198.51.100.131]:51822", None]).encode()),
    ("no_room", b"\x01" + reply(["198.51.100.130:51820", "[2001:db8::2]:51821"]).encode()),
    ("scope_id", b"\x02" + reply(["[fe80::1%eth0]:51820"]).encode()),
    ("errno", b"\x02" + reply([], errno="1").encode()),
    ("no_errno", b"\x02" + b"private_key=" + KEY.encode() + b"\n\n"),
    ("eof", b"\x02" + reply(["192.0.2.1:1"], end="").encode()),
    ("bad_port", b"\x02" + reply(["192.0.2.1:65536"]).encode()),
    ("long_line", b"\x02" + b"private_key=" + b"0" * 4100 + b"\nerrno=0\n\n"),
]

if __name__ == "__main__":
    write("config", CONFIGS)
    write("answer", answers())
    write("name_prefix", NAMES)
    write("wg_uapi", WG)
