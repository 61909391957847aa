#!/usr/bin/env python3
"""An on-path attacker between a CMP client and `enrolsim serve`: an HTTP proxy that passes
requests on, and when it sees a certConf go by, first posts forgeries under that certConf's
transactionID: the certConf with a bit of its signature flipped, and each of the attacker's own
captured messages (FILE...) with the victim's transactionID and recipNonce patched in (so their
signatures no longer verify). Prints one line per forgery: its HTTP status and the body type
of the answer.
Usage: cmp_forger.py LISTEN_PORT_FILE SERVER_PORT LOG FILE..."""
import http.server
import sys
import urllib.request


def tlv(b, i):
    """(tag, content start, content end) of the DER element at i."""
    n = b[i + 1]
    if n < 0x80:
        return b[i], i + 2, i + 2 + n
    k = n & 0x7F
    n = int.from_bytes(b[i + 2:i + 2 + k], "big")
    return b[i], i + 2 + k, i + 2 + k + n


def children(b, start, end):
    i = start
    while i < end:
        tag, cs, ce = tlv(b, i)
        yield i, tag, cs, ce
        i = ce


def header_fields(b):
    """{4: (start, end) of transactionID, 5: senderNonce, 6: recipNonce} contents."""
    _, s, e = tlv(b, 0)
    _, hs, he = tlv(b, s)
    fields = {}
    for _, tag, cs, _ in children(b, hs, he):
        if tag in (0xA4, 0xA5, 0xA6):
            _, os_, oe = tlv(b, cs)
            fields[tag & 0x0F] = (os_, oe)
    return fields


def body_type(b):
    _, s, e = tlv(b, 0)
    _, _, he = tlv(b, s)
    return b[he] & 0x1F


def protection_last_byte(b):
    _, s, e = tlv(b, 0)
    for _, tag, cs, ce in children(b, s, e):
        if tag == 0xA0:
            return ce - 1
    raise ValueError("no protection")


def patch(b, field, value):
    s, e = field
    assert e - s == len(value)
    return b[:s] + value + b[e:]


port_file, server_port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
own = [open(f, "rb").read() for f in sys.argv[4:]]
log = open(log_path, "w", buffering=1)


def post(body):
    req = urllib.request.Request(f"http://127.0.0.1:{server_port}/", data=body,
                                 headers={"Content-Type": "application/pkixcmp"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if body_type(body) == 24:  # certConf: strike before it arrives
            f = header_fields(body)
            tid, recip = body[f[4][0]:f[4][1]], body[f[6][0]:f[6][1]]
            flipped = bytearray(body)
            flipped[protection_last_byte(body)] ^= 1
            forgeries = [("flipped-certConf", bytes(flipped))]
            for m in own:
                g = header_fields(m)
                forged = patch(m, g[4], tid)
                if 6 in g:
                    forged = patch(forged, header_fields(forged)[6], recip)
                forgeries.append((f"own-type{body_type(m)}", forged))
            for name, forged in forgeries:
                status, answer = post(forged)
                log.write(f"{name} {status} {body_type(answer) if status == 200 else '-'}\n")
        status, answer = post(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/pkixcmp")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


server = http.server.HTTPServer(("127.0.0.1", 0), Proxy)
with open(port_file + ".tmp", "w") as pf:
    pf.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
