#!/usr/bin/env python3
"""Hostile HTTP clients against `enrolsim serve`, for interop_load.sh: one attack at a time,
kept up until SIGTERM, then a summary line on stdout (the statuses the server answered, the
connections it closed).

  load_attacker.py PORT READY_FILE ATTACK N
ATTACK: slowloris (headers a byte at a time), trickle (a body a byte at a time), bigbody
(almost max-body of body, held), twocl (two different Content-Length), ctype (Content-Type
application/pkixcmpEVIL), hold (connect and say nothing). READY_FILE is written once all N
connections have been opened (and, for bigbody, their bodies sent)."""
import errno
import os
import selectors
import signal
import socket
import sys
import time

port, ready_file, attack, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
BIG = 1_000_000           # bigbody: bytes sent of a body announced at 1 MiB - 1
TRICKLE_S = 0.5           # slowloris, trickle: a byte per connection this often
REOPEN_S = 0.5            # a connection the server closed is opened again after this
RATE_S = 0.05             # twocl, ctype: a new request per connection this often

HEAD = b"POST / HTTP/1.1\r\nHost: attacker\r\n"
BAD = {
    "twocl": HEAD + b"Content-Type: application/pkixcmp\r\nContent-Length: 5\r\n"
             b"Content-Length: 7\r\n\r\nhello!!",
    "ctype": HEAD + b"Content-Type: application/pkixcmpEVIL\r\nContent-Length: 16\r\n\r\n"
             b"0123456789abcdef",
}

sel = selectors.DefaultSelector()
stop = False
stats = {"opened": 0, "connected": 0, "closed_by_server": 0, "connect_failed": 0, "sent_bytes": 0}
statuses = {}


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)


class Conn:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.out = bytearray()
        self.inbuf = bytearray()
        self.connected = False
        self.next_s = 0.0          # trickle: next byte; twocl, ctype: next request
        self.waiting = False       # twocl, ctype: a request is out, its answer not in
        self.sent_body = 0
        self.done_sending = attack != "bigbody"
        try:
            self.sock.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        stats["opened"] += 1
        self.trickle = attack in ("slowloris", "trickle")
        if attack == "slowloris":
            self.out += HEAD + b"X-Slow: "
        elif attack == "trickle":
            self.out += HEAD + b"Content-Type: application/pkixcmp\r\nContent-Length: 1000000\r\n\r\n"
        elif attack == "bigbody":
            self.out += HEAD + b"Content-Type: application/pkixcmp\r\nContent-Length: %d\r\n\r\n" % (
                (1 << 20) - 1)
        elif attack in BAD:
            self.out += BAD[attack]
            self.waiting = True
        sel.register(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self)

    def want_write(self):
        return not self.connected or bool(self.out) or not self.done_sending

    def update(self):
        mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.want_write() else 0)
        try:
            if sel.get_key(self.sock).events != mask:
                sel.modify(self.sock, mask, self)
        except (KeyError, ValueError):
            pass

    def close(self):
        try:
            sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()


def count_statuses(c):
    # Responses of the server, whole heads only; bodies are short text.
    while b"\r\n\r\n" in c.inbuf:
        head, _, rest = c.inbuf.partition(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0].split(b" ")
        if len(line) >= 2 and line[0].startswith(b"HTTP/"):
            statuses[line[1].decode()] = statuses.get(line[1].decode(), 0) + 1
        length = 0
        for h in head.split(b"\r\n")[1:]:
            k, _, v = h.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip() or 0)
        if len(rest) < length:
            break
        c.inbuf = bytearray(rest[length:])
        c.waiting = False
        c.next_s = time.monotonic() + RATE_S


def lost(c, failed):
    stats["connect_failed" if failed else "closed_by_server"] += 1
    c.close()
    conns.remove(c)
    if attack != "bigbody":  # bodies are offered once: a flood of bytes is another attack
        reopen_at.append(time.monotonic() + (RATE_S if attack in BAD else REOPEN_S))


conns = [Conn() for _ in range(n)]
reopen_at = []
ready = False
last_scan = 0.0
while not stop:
    now = time.monotonic()
    while reopen_at and reopen_at[0] <= now:
        reopen_at.pop(0)
        conns.append(Conn())
    for key, events in sel.select(timeout=0.01):
        c = key.data
        if events & selectors.EVENT_READ:
            try:
                data = c.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                count_statuses(c)
                lost(c, not c.connected)
                continue
            c.inbuf += data
            count_statuses(c)
        if events & selectors.EVENT_WRITE:
            if not c.connected:
                if c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    lost(c, True)
                    continue
                c.connected = True
                stats["connected"] += 1
            if not c.out and not c.done_sending:
                chunk = min(65536, BIG - c.sent_body)
                c.out += b"B" * chunk
                c.sent_body += chunk
                c.done_sending = c.sent_body >= BIG
            if c.out:
                try:
                    sent = c.sock.send(bytes(c.out))
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    sent = 0
                del c.out[:sent]
                stats["sent_bytes"] += sent
                if c.trickle and not c.out:
                    c.next_s = now + TRICKLE_S
        c.update()
    if now - last_scan >= 0.05:
        last_scan = now
        for c in conns:
            if not c.connected or c.out:
                continue
            if c.trickle and now >= c.next_s:
                try:
                    stats["sent_bytes"] += c.sock.send(b"a")
                except OSError:
                    pass
                c.next_s = now + TRICKLE_S
            elif attack in BAD and not c.waiting and now >= c.next_s:
                c.out += BAD[attack]
                c.waiting = True
                c.update()
    if not ready:
        if attack == "bigbody":
            ready = all(c.done_sending and not c.out for c in conns)
        else:
            ready = stats["connected"] >= n
        if ready:
            with open(ready_file, "w") as f:
                f.write("ready\n")

print("attack=%s connections=%d opened=%d closed_by_server=%d connect_failed=%d sent=%d statuses=%s"
      % (attack, n, stats["opened"], stats["closed_by_server"], stats["connect_failed"],
         stats["sent_bytes"], ",".join("%s:%d" % kv for kv in sorted(statuses.items())) or "none"))
