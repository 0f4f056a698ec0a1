#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# A slow resolver for the tests: listens on ADDR port 53 (UDP), passes each
# query to UPSTREAM port 53 and sends the answer back DELAY seconds after the
# query came, as a resolver far away would.
#
#	slow_dns.py ADDR UPSTREAM DELAY
import socket
import sys
import threading
import time

addr, upstream, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind((addr, 53))


def answer(query, client, t0):
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.settimeout(5)
    try:
        up.sendto(query, (upstream, 53))
        reply = up.recv(4096)
    except OSError:
        return
    finally:
        up.close()
    time.sleep(max(0.0, t0 + delay - time.monotonic()))
    srv.sendto(reply, client)


while True:
    q, c = srv.recvfrom(4096)
    threading.Thread(target=answer, args=(q, c, time.monotonic()), daemon=True).start()
