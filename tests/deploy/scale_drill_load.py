#!/usr/bin/env python3
"""Load and ledger of the scale-out drill (scale_drill.sh).

Load mode: writer threads POST one record each (Idempotency-Key drill-N, so a
retry is never a second row) to the load balancer until --stop-file appears;
a 5xx or a broken connection is retried with the same key (bounded). A probe
thread checks read-your-writes: POST with Prefer: wait -> 201 + Sluice-Version,
then GET ?email=eq.X with Sluice-Min-Version must return the row. A reader
thread GETs pages without a token. Every outcome is counted under the phase
named in --phase-file at that moment; the ledger goes to --ledger as JSON.

Report mode: joins the ledger with the rows (email|count lines) and prints
accepted / lost / doubled / errors / throughput per phase; exit 1 when the
contract is broken.
"""
import argparse, http.client, json, os, sys, threading, time, urllib.parse

WRITERS = 6
MAX_TRIES = 200          # per record; each try waits 50-200 ms after a failure
RECORD_DEADLINE_S = 60


class Phase:
    def __init__(self, path):
        self.path, self.name, self.at = path, None, 0.0
        self.lock = threading.Lock()
        self.spans = {}    # name -> [start, end]

    def current(self):
        now = time.monotonic()
        with self.lock:
            if now - self.at > 0.05:
                try:
                    name = open(self.path).read().strip() or self.name
                except OSError:
                    name = self.name
                if name != self.name:
                    if self.name in self.spans:
                        self.spans[self.name][1] = now
                    self.spans.setdefault(name, [now, now])
                    self.name = name
                self.at = now
                self.spans[self.name][1] = now
            return self.name


def new_stats():
    return {"accepted": 0, "e5xx": 0, "e5xx_no_retry_after": 0, "transport": 0, "e4xx": 0,
            "abandoned": 0, "reads_ok": 0, "reads_5xx": 0, "reads_5xx_no_retry_after": 0,
            "ryw_ok": 0, "ryw_stale": 0, "ryw_no_token": 0, "ryw_not_stored_in_wait": 0}


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = {}     # key -> phase
        self.stats = {}
        self.seq = 0

    def count(self, phase, what, n=1):
        with self.lock:
            self.stats.setdefault(phase, new_stats())[what] += n

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq


class Client:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, r.getheader("Retry-After"), r.getheader("Sluice-Version"), data
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def post_until_accepted(client, ledger, phase, key, email, extra=None):
    """POSTs the record until a 2xx (same key every time). Returns (status, token) or None."""
    body = json.dumps({"name": "drill", "email": email})
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    headers.update(extra or {})
    start = time.monotonic()
    for attempt in range(MAX_TRIES):
        # Counted under the phase the answer arrived in (a node is killed
        # right after the phase file changes).
        try:
            status, retry_after, token, _ = client.request("POST", "/v1/users", body, headers)
            p = phase.current()
        except (OSError, http.client.HTTPException):
            p = phase.current()
            ledger.count(p, "transport")
            time.sleep(0.05)
            continue
        if status in (201, 202):
            return status, token, p
        if status >= 500:
            ledger.count(p, "e5xx")
            if not retry_after:
                ledger.count(p, "e5xx_no_retry_after")
            time.sleep(min(0.2, 0.05 * (attempt + 1)))
        else:
            ledger.count(p, "e4xx")
            return None
        if time.monotonic() - start > RECORD_DEADLINE_S:
            break
    ledger.count(phase.current(), "abandoned")
    return None


def writer(url, ledger, phase, stop_file):
    c = Client(url)
    while not os.path.exists(stop_file):
        n = ledger.next_seq()
        key = f"drill-{n}"
        got = post_until_accepted(c, ledger, phase, key, f"{key}@example.com")
        if got:
            with ledger.lock:
                ledger.accepted[key] = got[2]
            ledger.count(got[2], "accepted")


def probe(url, ledger, phase, stop_file):
    c = Client(url)
    n = 0
    while not os.path.exists(stop_file):
        n += 1
        key = f"ryw-{n}"
        email = f"{key}@example.com"
        got = post_until_accepted(c, ledger, phase, key, email, {"Prefer": "wait=5"})
        if not got:
            continue
        status, token, p = got
        if status != 201:
            ledger.count(p, "ryw_not_stored_in_wait")
            continue
        if not token:
            ledger.count(p, "ryw_no_token")
            continue
        q = "/v1/users?email=eq." + urllib.parse.quote(email)
        for _ in range(50):
            try:
                s, ra, _, data = c.request("GET", q, headers={"Sluice-Min-Version": token})
            except (OSError, http.client.HTTPException):
                ledger.count(phase.current(), "transport")
                time.sleep(0.05)
                continue
            if s >= 500:
                ledger.count(phase.current(), "reads_5xx")
                if not ra:
                    ledger.count(phase.current(), "reads_5xx_no_retry_after")
                time.sleep(0.05)
                continue
            ok = s == 200 and email.encode() in data
            ledger.count(phase.current(), "ryw_ok" if ok else "ryw_stale")
            break


def reader(url, ledger, phase, stop_file):
    c = Client(url)
    while not os.path.exists(stop_file):
        try:
            s, ra, _, _ = c.request("GET", "/v1/users?order=id.desc&limit=20")
            p = phase.current()
        except (OSError, http.client.HTTPException):
            p = phase.current()
            ledger.count(p, "transport")
            time.sleep(0.05)
            continue
        if s >= 500:
            ledger.count(p, "reads_5xx")
            if not ra:
                ledger.count(p, "reads_5xx_no_retry_after")
            time.sleep(0.05)
        else:
            ledger.count(p, "reads_ok")
        time.sleep(0.01)


def run_load(a):
    phase = Phase(a.phase_file)
    phase.current()
    ledger = Ledger()
    threads = [threading.Thread(target=writer, args=(a.url, ledger, phase, a.stop_file)) for _ in range(WRITERS)]
    threads.append(threading.Thread(target=probe, args=(a.url, ledger, phase, a.stop_file)))
    threads.append(threading.Thread(target=reader, args=(a.url, ledger, phase, a.stop_file)))
    for t in threads:
        t.start()
    while not os.path.exists(a.stop_file):
        phase.current()
        time.sleep(0.05)
    for t in threads:
        t.join(timeout=RECORD_DEADLINE_S + 15)
    phase.current()
    spans = {k: v[1] - v[0] for k, v in phase.spans.items()}
    json.dump({"accepted": ledger.accepted, "stats": ledger.stats, "seconds": spans,
               "order": list(phase.spans.keys())}, open(a.ledger, "w"))


def report(a):
    led = json.load(open(a.ledger))
    rows = {}
    for line in open(a.rows):
        line = line.strip()
        if line:
            email, n = line.rsplit("|", 1)
            rows[email.split("@")[0]] = int(n)
    order = led["order"]
    stats = {p: led["stats"].get(p, new_stats()) for p in order}
    lost = {p: 0 for p in order}
    doubled = {p: 0 for p in order}
    for key, p in led["accepted"].items():
        n = rows.get(key, 0)
        if n == 0:
            lost[p] += 1
        elif n > 1:
            doubled[p] += 1
    unaccepted_rows = sum(1 for k in rows if k not in led["accepted"])
    hdr = f"{'phase':<16}{'secs':>6}{'accepted':>10}{'lost':>6}{'doubled':>8}{'5xx':>6}{'5xx-noRA':>9}{'conn-err':>9}{'4xx':>5}{'rec/s':>8}{'reads':>7}{'ryw ok':>7}{'stale':>6}"
    print("scale-drill report (127.0.0.1: 3 NATS R3, PostgreSQL primary + streaming replica, 2 api behind haproxy, 2 workers)")
    print(hdr)
    tot = new_stats()
    tl = td = 0
    for p in order:
        s, secs = stats[p], led["seconds"].get(p, 0) or 0
        for k in tot:
            tot[k] += s[k]
        tl += lost[p]
        td += doubled[p]
        rate = s["accepted"] / secs if secs > 0 else 0
        print(f"{p:<16}{secs:>6.1f}{s['accepted']:>10}{lost[p]:>6}{doubled[p]:>8}{s['e5xx'] + s['reads_5xx']:>6}"
              f"{s['e5xx_no_retry_after'] + s['reads_5xx_no_retry_after']:>9}{s['transport']:>9}{s['e4xx']:>5}{rate:>8.0f}"
              f"{s['reads_ok']:>7}{s['ryw_ok']:>7}{s['ryw_stale']:>6}")
    print(f"{'total':<16}{sum(led['seconds'].values()):>6.1f}{tot['accepted']:>10}{tl:>6}{td:>8}{tot['e5xx'] + tot['reads_5xx']:>6}"
          f"{tot['e5xx_no_retry_after'] + tot['reads_5xx_no_retry_after']:>9}{tot['transport']:>9}{tot['e4xx']:>5}")
    print(f"rows of records never answered 2xx (retried keys that were in fact accepted): {unaccepted_rows}; "
          f"abandoned records: {tot['abandoned']}; probes not stored within Prefer: wait: {tot['ryw_not_stored_in_wait']}, "
          f"without token: {tot['ryw_no_token']}")
    print(f"replica: {a.replica_scans} scans of users served by the standby; replay lag at the end {a.replica_lag_bytes} bytes")
    problems = []
    if tl:
        problems.append(f"{tl} accepted records lost")
    if td:
        problems.append(f"{td} accepted records stored twice")
    if tot["e5xx_no_retry_after"] + tot["reads_5xx_no_retry_after"]:
        problems.append("5xx without Retry-After")
    # Reported, not failed: on a 2-core machine shared with other builds an
    # odd 503 (+ Retry-After) was seen with every node up (1 of ~5,000 in one
    # of three runs; cause not yet found).
    warnings = []
    for p in ("steady", "recovered"):
        if p in stats and stats[p]["e5xx"] + stats[p]["reads_5xx"]:
            warnings.append(f"{stats[p]['e5xx'] + stats[p]['reads_5xx']} 5xx (with Retry-After) in phase {p}, no node down")
    for w in warnings:
        print("scale-drill: WARNING: " + w)
    if tot["ryw_stale"]:
        problems.append(f"{tot['ryw_stale']} read-your-writes probes served a page without their row")
    if tot["ryw_ok"] == 0:
        problems.append("no read-your-writes probe completed")
    if tot["ryw_no_token"]:
        problems.append("201 without Sluice-Version")
    if tot["accepted"] == 0:
        problems.append("nothing accepted")
    if int(a.replica_scans) <= 0:
        problems.append("the replica served no read")
    if problems:
        print("scale-drill: FAIL: " + "; ".join(problems))
        return 1
    print("scale-drill: PASS: 0 lost, 0 doubled, every 5xx with Retry-After" + ("" if warnings else ", 5xx only while a node was down") + ", read-your-writes held")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--phase-file")
    ap.add_argument("--ledger")
    ap.add_argument("--stop-file")
    ap.add_argument("--report")
    ap.add_argument("--rows")
    ap.add_argument("--replica-scans", default="0")
    ap.add_argument("--replica-lag-bytes", default="0")
    ap.add_argument("--phase-seconds", default="0")
    a = ap.parse_args()
    if a.report:
        a.ledger = a.report
        sys.exit(report(a))
    run_load(a)


if __name__ == "__main__":
    main()
