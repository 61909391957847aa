#!/usr/bin/env bash
# GET /metrics of `enrolsim serve` read with the Prometheus client library's own parser: after
# N eNBs enrolled and revoked with `enrolsim enrol` and two refused POSTs, the counters agree
# with issued.csv and revocations.csv, each latency histogram's +Inf bucket and _count with
# the requests of its type, and the gauges are zero once idle. Then the page answers while the
# only worker is busy and a request waits, showing both. Other GETs stay 405.
source "$(dirname "$0")/interop_lib.sh"
# Debian's package installs for Debian's interpreter, which another python3 on PATH hides.
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3
"$py" -c 'import prometheus_client.parser' 2>/dev/null \
  || fail "python3-prometheus-client missing (scripts/setup.sh installs it)"
pki=$tmp/pki
n=6
start_serve "$tmp/served"
timeout 60 "$es" enrol "$pki" "$tmp/run" --server "127.0.0.1:$port" --enbs $n --concurrency 3 \
  --revoke --reason keyCompromise -q >"$tmp/enrol.log" 2>&1 || fail "enrol: $(cat "$tmp/enrol.log")"

# check.py PORT ISSUED_ROWS REVOKED_ROWS: the refused POSTs and other GETs, then the scrape.
cat >"$tmp/check.py" <<'PY'
import sys, time, urllib.request, urllib.error
from prometheus_client.parser import text_string_to_metric_families
port, issued_rows, revoked_rows, n = (int(a) for a in sys.argv[1:5])
base = f"http://127.0.0.1:{port}"

def status(method, path, body=None, ctype=None):
    req = urllib.request.Request(base + path, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code

def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)

# Refused: garbage that is no PKIMessage (400), and a body that is not CMP (415).
assert status("POST", "/", b"\x30\x03garbage", "application/pkixcmp") == 400
assert status("POST", "/", b"hello", "text/plain") == 415
for path in ("/metrics/", "/metrics?x=1", "/", "/metricsx"):
    code = status("GET", path)
    if code != 405:
        fail(f"GET {path}: {code}, not 405")

def scrape():
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        ctype = r.headers["Content-Type"]
        if ctype != "text/plain; version=0.0.4; charset=utf-8":
            fail(f"Content-Type {ctype}")
        text = r.read().decode()
    samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples

def get(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)

# Idle: the enrol clients' connections close as they exit; wait for the server to see it.
for _ in range(50):
    m = scrape()
    if get(m, "enrolsim_open_connections") == 1:
        break
    time.sleep(0.1)
req = "enrolsim_requests_total"
issued = sum(v for (name, _), v in m.items() if name == "enrolsim_certificates_issued_total")
if issued != issued_rows or issued != n:
    fail(f"issued {issued}, issued.csv rows {issued_rows}, eNBs {n}")
if get(m, "enrolsim_certificates_issued_total", request="ir") != n:
    fail("issued by ir")
revoked = sum(v for (name, _), v in m.items() if name == "enrolsim_revocations_total")
if revoked != revoked_rows or get(m, "enrolsim_revocations_total", cause="requested",
                                  reason="keyCompromise") != n:
    fail(f"revocations {revoked}, revocations.csv rows {revoked_rows}")
for t in ("ir", "certConf", "rr"):
    if get(m, req, type=t, outcome="answered") != n:
        fail(f"{t} answered: {get(m, req, type=t, outcome='answered')}")
if get(m, req, type="other", outcome="refused") != 2:
    fail(f"other refused: {get(m, req, type='other', outcome='refused')}")
types = {dict(l)["type"] for (name, l) in m if name == req}
if types != {"ir", "cr", "p10cr", "kur", "rr", "certConf", "pollReq", "error", "other"}:
    fail(f"types {types}")
h = "enrolsim_request_duration_seconds"
for t in types:
    total = sum(get(m, req, type=t, outcome=o)
                for o in ("answered", "error", "refused", "busy", "dropped"))
    buckets = sorted((float(dict(l)["le"]), v) for (name, l), v in m.items()
                     if name == h + "_bucket" and dict(l)["type"] == t)
    counts = [v for _, v in buckets]
    if counts != sorted(counts) or buckets[-1][0] != float("inf"):
        fail(f"{t}: buckets not cumulative: {buckets}")
    if not (buckets[-1][1] == get(m, h + "_count", type=t) == total):
        fail(f"{t}: +Inf {buckets[-1][1]}, _count {get(m, h + '_count', type=t)}, requests {total}")
    if total > 0 and not 0 < get(m, h + "_sum", type=t) < 60 * total:
        fail(f"{t}: _sum {get(m, h + '_sum', type=t)}")
for g in ("enrolsim_open_transactions", "enrolsim_queue_waiting", "enrolsim_workers_busy"):
    if get(m, g) != 0:
        fail(f"{g} {get(m, g)} once idle")
if get(m, "enrolsim_open_connections") != 1:  # this scrape's own
    fail(f"open connections {get(m, 'enrolsim_open_connections')}")
PY
"$py" "$tmp/check.py" "$port" "$(tail -n +2 "$tmp/served/issued.csv" | wc -l)" \
  "$(tail -n +2 "$tmp/served/revocations.csv" | wc -l)" $n || fail "scrape after enrolment"
stop_serve

# Saturated: one worker, each ir holding it 1.5 s; two eNBs at once. The page answers at once
# with the worker busy and the other ir waiting.
start_serve "$tmp/busy" --set raca.workers=1 --set raca.ir_service=1.5s
timeout 60 "$es" enrol "$pki" "$tmp/run2" --server "127.0.0.1:$port" --enbs 2 --concurrency 2 \
  -q >"$tmp/enrol2.log" 2>&1 &
enrol_pid=$!
pids+=("$enrol_pid")
"$py" - "$port" <<'PY' || fail "scrape while saturated"
import sys, time, urllib.request
from prometheus_client.parser import text_string_to_metric_families
url = f"http://127.0.0.1:{sys.argv[1]}/metrics"
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    t0 = time.monotonic()
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    took = time.monotonic() - t0
    g = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples
         if not s.labels}
    if g["enrolsim_workers_busy"] == 1 and g["enrolsim_queue_waiting"] == 1:
        sys.exit(0 if took < 0.5 else f"scrape took {took:.2f} s while saturated")
    time.sleep(0.05)
sys.exit("never saw the worker busy and a request waiting")
PY
wait "$enrol_pid" || fail "enrol while saturated: $(cat "$tmp/enrol2.log")"
stop_serve
echo "interop_metrics: ok"
