"""Zone transfers to real secondaries: Knot (knotd) and NSD run on other loopback ports as
secondaries of acmezone with a TSIG transfer key. Initial AXFR (the full zone from dig against
all three must match), then a burst of REST and RFC 2136 updates, a refresh of the secondaries
and convergence via IXFR on the primary's serial and records; a secondary whose serial is older
than the journal gets the whole zone; transfers refused without the key, from a wrong address,
and with an update key; a transfer key cannot update; signed multi-message AXFR checked by dig.
These tests trigger refreshes with knotc / nsd-control; notify_test.py covers NOTIFY.
"""

from __future__ import annotations

import base64
import re
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

import harness as h

XFR_SECRET = base64.b64encode(b"transfer-secret-for-acmezone-32b").decode()
UPDATE_SECRET = base64.b64encode(b"update-secret-for-acmezone-32byt").decode()
XFR_KEY = f"hmac-sha256:xfr-key:{XFR_SECRET}"
UPDATE_KEY = f"hmac-sha256:zone-key:{UPDATE_SECRET}"
JOURNAL_MAX = 20
DEADLINE = 30.0  # seconds to wait for a secondary to converge


def run(cmd: list, *, input: str | None = None, timeout: float = h.SUBPROCESS_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)


def axfr_rows(port: int, *key: str) -> tuple[str, list]:
    """dig's AXFR output as sorted (name, type, rdata) rows (TTL and TSIG left out), and the raw text."""
    args = ["dig", f"@{h.HOST}", "-p", str(port), "+tcp", "+nocmd", "+nostats", "+noall", "+answer", "+time=5", "+tries=1"]
    if key:
        args += ["-y", key[0]]
    proc = run([*args, "AXFR", h.ZONE])
    rows = set()
    for line in proc.stdout.splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5 and not line.startswith(";") and parts[3] != "TSIG":
            rows.add((parts[0].lower(), parts[3], parts[4]))
    return proc.stdout, sorted(rows)


def soa_serial(port: int) -> int | None:
    proc = run(["dig", f"@{h.HOST}", "-p", str(port), "+short", "+time=2", "+tries=1", "SOA", h.ZONE])
    fields = proc.stdout.split()
    return int(fields[2]) if len(fields) >= 3 and fields[2].isdigit() else None


def wait_for(condition, what: str, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Secondary:
    """A stock secondary run as a child process: stopped with SIGTERM, its log read from its folder."""
    log_name = ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def log(self) -> str:
        try:
            return (self.dir / self.log_name).read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class Knot(Secondary):
    """knotd in the foreground, secondary of the primary with the transfer key."""
    log_name = "knot.log"

    def __init__(self, tmp: Path, primary_port: int):
        self.dir = tmp / "knot"
        self.dir.mkdir()
        (self.dir / "db").mkdir()  # knotd does not create it: without it no journal, and IXFRs fall back to AXFR
        self.port = h.free_port()
        self.conf = self.dir / "knot.conf"
        self.sock = self.dir / "knot.sock"
        self.conf.write_text(f"""server:
    rundir: "{self.dir}"
    listen: {h.HOST}@{self.port}
control:
    listen: "{self.sock}"
database:
    storage: "{self.dir}/db"
log:
  - target: "{self.dir}/knot.log"
    any: info
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: {XFR_SECRET}
remote:
  - id: primary
    address: {h.HOST}@{primary_port}
    key: xfr-key
acl:
  - id: from_primary
    address: {h.HOST}
    key: xfr-key
    action: notify
  - id: local_axfr
    address: {h.HOST}
    action: transfer
template:
  - id: default
    storage: "{self.dir}/zones"
    zonefile-sync: 0
zone:
  - domain: {h.ZONE}
    master: primary
    acl: [from_primary, local_axfr]
""")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["knotd", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.proc.poll() is None and self.sock.exists(), "knotd's control socket", 15)

    def refresh(self) -> None:
        run(["knotc", "-c", str(self.conf), "zone-refresh", h.ZONE], timeout=10)


class Nsd(Secondary):
    """nsd -d, secondary of the primary with the transfer key; controlled over a local socket."""
    log_name = "nsd.log"

    def __init__(self, tmp: Path, primary_port: int):
        self.dir = tmp / "nsd"
        self.dir.mkdir()
        self.port = h.free_port()
        self.conf = self.dir / "nsd.conf"
        self.conf.write_text(f"""server:
    ip-address: {h.HOST}@{self.port}
    port: {self.port}
    zonesdir: "{self.dir}"
    database: ""
    pidfile: "{self.dir}/nsd.pid"
    xfrdfile: "{self.dir}/xfrd.state"
    xfrdir: "{self.dir}"
    zonelistfile: "{self.dir}/zone.list"
    logfile: "{self.dir}/nsd.log"
    username: ""
    chroot: ""
    verbosity: 2
remote-control:
    control-enable: yes
    control-interface: "{self.dir}/nsd.ctl"
key:
    name: "xfr-key"
    algorithm: hmac-sha256
    secret: "{XFR_SECRET}"
zone:
    name: "{h.ZONE}"
    zonefile: "{h.ZONE}.zone"
    request-xfr: {h.HOST}@{primary_port} xfr-key
    allow-notify: {h.HOST} xfr-key
    provide-xfr: {h.HOST} NOKEY
""")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["nsd", "-d", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.proc.poll() is None and (self.dir / "nsd.ctl").exists(), "nsd's control socket", 15)

    def refresh(self) -> None:
        run(["nsd-control", "-c", str(self.conf), "transfer", h.ZONE], timeout=10)



def challenge(i: int) -> str:
    """A 43-character base64url value, as an ACME dns-01 TXT is."""
    return base64.urlsafe_b64encode(f"challenge-value-{i:08d}-padding!".encode()).decode()[:43]


@unittest.skipUnless(shutil.which("knotd") and shutil.which("nsd") and shutil.which("nsd-control"),
                     "knotd and nsd are needed (scripts/install-deps.sh)")
class TransferToSecondaries(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls._stack = contextlib.ExitStack()
        cls.api_port = h.free_port()
        cls.server = cls._stack.enter_context(h.server_files({
            "zone": {"soa": {"serial_policy": "unixtime"}, "journal": {"max_entries": JOURNAL_MAX}},
            "dns": {"transfer": {"allow": ["127.0.0.1/32"], "keys": ["xfr-key"]}},
            "api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open"},
            "limits": {"update_rate": 1000, "update_burst": 1000},
        }))
        cls.key_tables = (f'\n[[dns.transfer_keys]]\nname = "xfr-key"\nsecret = "{XFR_SECRET}"\n'
                          f'\n[[dns.tsig_keys]]\nname = "zone-key"\nsecret = "{UPDATE_SECRET}"\nzone = true\n')
        with open(cls.server.config_path, "a") as f:
            f.write(cls.key_tables)
        cls.server.start()
        cls.port = cls.server.port
        for i in range(5):
            cls.server.record_add(f"seed{i}", challenge(i))
        cls.knot = Knot(cls.server.tmp, cls.port)
        cls.nsd = Nsd(cls.server.tmp, cls.port)
        cls._stack.callback(cls.knot.stop)
        cls._stack.callback(cls.nsd.stop)
        cls.knot.start()
        cls.nsd.start()

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            cls.knot.stop()
            cls.nsd.stop()
            code = cls.server.stop()
            if code != 0:
                raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{cls.server.log()}")
        finally:
            cls._stack.close()

    # -- helpers --------------------------------------------------------------------------------
    def primary_rows(self) -> list:
        return axfr_rows(self.port, XFR_KEY)[1]

    def wait_converged(self, refresh: bool = True) -> int:
        """Refreshes both secondaries until they serve the primary's serial and records."""
        serial = soa_serial(self.port)
        want = self.primary_rows()
        self.assertTrue(want, "the primary's AXFR is empty")
        for secondary in (self.knot, self.nsd):
            last = [None]

            def caught_up() -> bool:
                if soa_serial(secondary.port) != serial:
                    if refresh:
                        secondary.refresh()
                    return False
                last[0] = axfr_rows(secondary.port)[1]
                return last[0] == want

            try:
                wait_for(caught_up, f"{type(secondary).__name__} to reach serial {serial}")
            except AssertionError:
                raise AssertionError(f"{type(secondary).__name__} serial {soa_serial(secondary.port)} != {serial}; "
                                     f"rows differ: {set(last[0] or []) ^ set(want)}\n{secondary.log()}\n{self.server.log()}")
        return serial

    def rest_register(self) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/register", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def rest_update(self, account: dict, value: str) -> int:
        body = json.dumps({"subdomain": account["subdomain"], "txt": value}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/update", data=body, method="POST",
                                     headers={"X-Api-User": account["username"], "X-Api-Key": account["password"],
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status

    def nsupdate(self, key: str, commands: list) -> subprocess.CompletedProcess:
        script = f"server {h.HOST} {self.port}\nzone {h.ZONE}\n" + "\n".join(commands) + "\nsend\n"
        return run(["nsupdate", "-t", "5", "-y", key], input=script)

    def transfer_lines(self, kind: str) -> int:
        return self.server.log().count(f"event=transfer kind={kind} ")

    # -- tests (named so they run in this order) ------------------------------------------------
    def test_1_initial_axfr_matches_on_all_three(self):
        self.wait_converged()

    def test_2_burst_of_updates_converges_via_ixfr(self):
        self.wait_converged()
        before = self.transfer_lines("ixfr_diff")
        accounts = [self.rest_register() for _ in range(3)]
        for i in range(6):
            self.assertEqual(self.rest_update(accounts[i % 3], challenge(100 + i)), 200)
        for i in range(6):
            proc = self.nsupdate(UPDATE_KEY, [f'update add burst{i}.{h.ZONE} 60 TXT "{challenge(200 + i)}"'])
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        proc = self.nsupdate(UPDATE_KEY, [f"update delete seed0.{h.ZONE} TXT"])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.wait_converged()
        # Both secondaries fetched differences, not the whole zone, and Knot kept them (a
        # difference it cannot apply makes it fall back to AXFR).
        self.assertGreaterEqual(self.transfer_lines("ixfr_diff") - before, 2, self.server.log())
        self.assertNotIn("fallback to AXFR", self.knot.log())
        # /metrics counts them too.
        with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/metrics", timeout=10) as r:
            metrics = r.read().decode()
        ixfr = re.search(r'^acmezone_dns_transfers_total\{outcome="ixfr"\} (\d+)$', metrics, re.M)
        self.assertIsNotNone(ixfr, metrics)
        self.assertGreaterEqual(int(ixfr.group(1)), 2, metrics)
        rows = self.primary_rows()
        self.assertFalse(any(r[0] == f"seed0.{h.ZONE}." for r in rows))
        self.assertIn((f"burst5.{h.ZONE}.", "TXT", f'"{challenge(205)}"'), rows)

    def test_3_secondary_older_than_the_journal_gets_the_whole_zone(self):
        self.wait_converged()
        self.knot.stop()
        for i in range(JOURNAL_MAX + 10):
            self.server.record_add(f"late{i}", challenge(300 + i))
        before = self.transfer_lines("ixfr_full") + self.transfer_lines("axfr")
        self.knot.start()
        self.wait_converged()
        self.assertGreater(self.transfer_lines("ixfr_full") + self.transfer_lines("axfr"), before, self.server.log())

    def test_4_refusals(self):
        # Without the key (allowed address): REFUSED; dig reports a failed transfer.
        text, rows = axfr_rows(self.port)
        self.assertEqual(rows, [])
        self.assertIn("Transfer failed", text)
        self.assertIn("kind=refused", self.server.log())
        # With an update key: unknown to the transfer side (BADKEY).
        text, rows = axfr_rows(self.port, UPDATE_KEY)
        self.assertEqual(rows, [])
        self.assertIn("tsig indicates error", text)  # the unsigned BADKEY reply (RFC 8945 §5.3.2)
        self.assertIn("kind=notauth", self.server.log())
        # A transfer key cannot update: it verifies (secondaries sign their SOA checks) but
        # grants nothing, so the UPDATE is REFUSED and nothing changes.
        proc = self.nsupdate(XFR_KEY, [f'update add nope.{h.ZONE} 60 TXT "{challenge(1)}"'])
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("REFUSED", proc.stdout + proc.stderr)
        self.assertEqual(h.query(self.port, f"nope.{h.ZONE}", h.TXT).answer, [])
        # Over UDP: AXFR is FORMERR, IXFR gets our SOA alone.
        reply = h.query(self.port, h.ZONE, h.AXFR)
        self.assertEqual(reply.rcode_text, "FORMERR")
        reply = h.query(self.port, h.ZONE, 251)  # IXFR over UDP: our SOA alone (RFC 1995 §2)
        self.assertEqual(reply.rcode_text, "NOERROR")
        self.assertEqual([rr.type for rr in reply.answer], [h.SOA])
        # A secondary's signed SOA check with the transfer key is answered and signed.
        proc = run(["dig", f"@{h.HOST}", "-p", str(self.port), "-y", XFR_KEY, "+time=3", "+tries=1", "SOA", h.ZONE])
        self.assertIn("status: NOERROR", proc.stdout)
        self.assertNotIn("tsig indicates error", proc.stdout)

    def test_5_wrong_address_refused(self):
        # A second server allowing only another address, same key: REFUSED even when signed.
        with h.server_files({"dns": {"transfer": {"allow": ["192.0.2.1/32"], "keys": ["xfr-key"]}}}) as other:
            with open(other.config_path, "a") as f:
                f.write(f'\n[[dns.transfer_keys]]\nname = "xfr-key"\nsecret = "{XFR_SECRET}"\n')
            other.start()
            try:
                text, rows = axfr_rows(other.port, XFR_KEY)
                self.assertEqual(rows, [])
                self.assertIn("Transfer failed", text)
                self.assertIn("kind=refused", other.log())
            finally:
                self.assertEqual(other.stop(), 0)

    def test_6_signed_multi_message_axfr_verified_by_dig(self):
        for i in range(250):
            self.server.record_add(f"bulk{i}", challenge(1000 + i))
        proc = run(["dig", f"@{h.HOST}", "-p", str(self.port), "+tcp", "-y", XFR_KEY, "AXFR", h.ZONE])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("Transfer failed", proc.stdout)
        self.assertNotIn("tsig verify failure", proc.stdout + proc.stderr)
        size = [line for line in proc.stdout.splitlines() if "XFR size" in line]
        self.assertTrue(size, proc.stdout[-500:])
        messages = int(size[0].split("messages ")[1].split(",")[0])
        self.assertGreaterEqual(messages, 2, size[0])
        # Knot verifies every message too: it converges on the large zone.
        self.wait_converged()

    def test_7_static_change_on_reload_reaches_the_secondaries(self):
        self.wait_converged()
        before = soa_serial(self.port)
        config = h.merge(self.server.config, {"zone": {"records": [*h.STATIC_RECORDS, "reloaded A 192.0.2.77"]}})
        self.server.config_path.write_text(h.to_toml(config) + self.key_tables)
        self.server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: soa_serial(self.port) != before, "the serial to move after the reload", 15)
        self.assertIn((f"reloaded.{h.ZONE}.", "A", "192.0.2.77"), self.primary_rows())
        self.wait_converged()


if __name__ == "__main__":
    h.main()
