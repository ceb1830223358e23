#!/usr/bin/env python3
"""SIGHUP reload against the real binary: a changed static record is served after SIGHUP
(polled with dig), a changed log level takes effect (debug lines appear), changes that need a
restart are logged as reload_ignored and not applied, an invalid file keeps everything running
unchanged, and RFC 2136 updates sent in a loop during several reloads are all acknowledged and
all served afterwards."""

import base64
import hashlib
import hmac
import random
import signal
import struct
import threading
import time
import unittest

import harness as h

SECRET = base64.b64encode(b"reload-test-secret-for-acmezone!").decode()
KEY_TABLE = f'\n[[dns.tsig_keys]]\nname = "zone-key"\nsecret = "{SECRET}"\nzone = true\n'
TIMEOUT = 10


def signed_add(port: int, name: str, value: str, transport: str = "tcp") -> str:
    """An RFC 2136 UPDATE adding TXT `value` at `name`, signed with zone-key (RFC 8945 §4.3);
    returns the reply's RCODE text."""
    qid = random.randrange(65536)
    msg = h.header(qid, opcode=5, qd=1, ns=1) + h.encode_name(h.ZONE) + struct.pack("!HH", h.SOA, h.IN)
    raw = value.encode()
    rdata = bytes([len(raw)]) + raw
    msg += h.encode_name(name) + struct.pack("!HHIH", h.TXT, h.IN, 60, len(rdata)) + rdata
    key_name, alg = h.encode_name("zone-key"), h.encode_name("hmac-sha256")
    now = int(time.time())
    variables = key_name + struct.pack("!HI", 255, 0) + alg + struct.pack("!Q", now)[2:] + struct.pack("!HHH", 300, 0, 0)
    mac = hmac.new(base64.b64decode(SECRET), msg + variables, hashlib.sha256).digest()
    tsig = alg + struct.pack("!Q", now)[2:] + struct.pack("!HH", 300, len(mac)) + mac + struct.pack("!HHH", qid, 0, 0)
    signed = msg[:10] + struct.pack("!H", 1) + msg[12:] + key_name + struct.pack("!HHIH", 250, 255, 0, len(tsig)) + tsig
    return h.exchange(port, signed, transport, 5).rcode_text


def a_records(port: int, name: str) -> list:
    return sorted(row[-1] for row in h.dig(port, name, "A").rows("ANSWER", "A"))


class Reload(unittest.TestCase):
    def setUp(self):
        self._files = h.server_files()
        self.server = self._files.__enter__()
        self.addCleanup(self._files.__exit__, None, None, None)
        self.base_text = self.server.config_path.read_text() + KEY_TABLE
        self.server.config_path.write_text(self.base_text)
        self.server.start()
        self.port = self.server.port

    def tearDown(self):
        if self.server.alive():
            code = self.server.stop()
            self.assertEqual(code, 0, self.server.log())

    # -- helpers ------------------------------------------------------------------------------
    def rewrite(self, old: str, new: str) -> None:
        text = self.server.config_path.read_text()
        self.assertIn(old, text)
        self.server.config_path.write_text(text.replace(old, new, 1))

    def hup_and_wait(self, marker: str = "event=reloaded") -> str:
        """Sends SIGHUP and waits until one more `marker` line is logged; returns the new log part."""
        before = self.full_log()
        count = before.count(marker)
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait(lambda: self.full_log().count(marker) > count, f"{marker} after SIGHUP")
        return self.full_log()[len(before):]

    def full_log(self) -> str:
        return self.server.log_path.read_text(errors="replace")

    def wait(self, condition, what: str, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.02)
        self.fail(f"timed out after {timeout}s waiting for {what}\n{self.server.log()}")

    # -- tests --------------------------------------------------------------------------------
    def test_static_record_change_is_served_after_sighup(self):
        name = h.fqdn("Mixed")
        self.assertEqual(a_records(self.port, name), ["127.0.0.2"])
        self.rewrite('"Mixed A 127.0.0.2"', '"Mixed A 127.0.0.9", "added 60 TXT \\"hello\\""')
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait(lambda: a_records(self.port, name) == ["127.0.0.9"], "dig to see the new A record")
        txt = h.dig(self.port, h.fqdn("added"), "TXT").rows("ANSWER", "TXT")
        self.assertEqual([(r[1], r[-1]) for r in txt], [(60, '"hello"')])
        self.wait(lambda: "what=static_records records=3" in self.full_log(), "reload_applied")
        # A removed record is gone too, and the serial moved (one journaled step), so that
        # secondaries fetch the change (issue 7: zone transfers).
        serial = h.query(self.port, h.ZONE, h.SOA).answer[0].data[2]
        self.rewrite(', "added 60 TXT \\"hello\\""', "")
        self.hup_and_wait()
        self.wait(lambda: h.dig(self.port, h.fqdn("added"), "TXT").status == "NXDOMAIN", "the TXT record to go")
        self.assertEqual(h.query(self.port, h.ZONE, h.SOA).answer[0].data[2], (serial + 1) % 2**32)
        # A dynamic TXT at a name that became static is refused by the writer.
        self.rewrite('"Mixed A 127.0.0.9"', '"Mixed A 127.0.0.9", "fresh A 127.0.0.3"')
        self.hup_and_wait()
        self.assertEqual(signed_add(self.port, h.fqdn("fresh"), "v"), "REFUSED")

    def test_restart_only_changes_are_ignored_and_reported(self):
        other = h.free_port()
        self.rewrite(f'listen = ["127.0.0.1:{self.port}"]', f'listen = ["127.0.0.1:{other}"]')
        self.rewrite("\nttl = 30\n", "\nttl = 31\n")  # zone.soa.ttl
        self.rewrite(SECRET, base64.b64encode(b"another-secret").decode())
        part = self.hup_and_wait()
        for key in ("dns.listen", "zone.soa.ttl", "dns.tsig_keys"):
            self.assertIn(f"event=reload_ignored key={key} reason=restart_required", part)
        self.assertNotIn("another-secret", part)
        self.assertNotIn(base64.b64encode(b"another-secret").decode(), part)
        # Not applied: same port, same SOA TTL, the old key still signs.
        self.assertTrue(self.server.answers_soa())
        self.assertFalse(h.port_is_free(self.port))
        self.assertEqual(h.query(self.port, h.ZONE, h.SOA).answer[0].ttl, 30)
        self.assertEqual(signed_add(self.port, h.fqdn(h.unique_label("k")), "old-key"), "NOERROR")
        # Reported again on the next reload: still not in effect.
        self.assertIn("event=reload_ignored key=dns.listen", self.hup_and_wait())

    def test_log_level_change_takes_effect(self):
        part = self.hup_and_wait()
        self.assertNotIn(" debug ", part)  # info: no debug lines
        self.rewrite('level = "info"', 'level = "debug"')
        part = self.hup_and_wait()
        self.assertIn("event=reload_applied what=log_levels level=debug modules=-", part)
        self.assertRegex(part, r" debug app event=reload_summary ")
        # Per module: dns at warn hides the (info) update lines; app stays at debug.
        with open(self.server.config_path, "a") as f:
            f.write('\n[log.modules]\ndns = "warn"\n')
        self.assertIn("modules=dns:warn", self.hup_and_wait())
        before = len(self.full_log())
        self.assertEqual(signed_add(self.port, h.fqdn(h.unique_label("m")), "x"), "NOERROR")
        self.hup_and_wait()  # a barrier: lines are written before the reply is sent
        self.assertNotIn("event=update_applied", self.full_log()[before:])
        self.rewrite('dns = "warn"', 'dns = "info"')
        self.assertIn("modules=dns:info", self.hup_and_wait())
        self.assertEqual(signed_add(self.port, h.fqdn(h.unique_label("m")), "x"), "NOERROR")
        self.wait(lambda: "event=update_applied" in self.full_log()[before:], "the update line")

    def test_invalid_config_keeps_serving(self):
        name = h.fqdn("Mixed")
        self.rewrite('"Mixed A 127.0.0.2"', '"Mixed A 127.0.0.5"')
        self.hup_and_wait()
        self.assertEqual(a_records(self.port, name), ["127.0.0.5"])
        good = self.server.config_path.read_text()
        for bad in ("[zone\nname = ", good.replace('"Mixed A 127.0.0.5"', '"Mixed A not-an-address"'),
                    good.replace("[zone.soa]", "[zone.soa]\nbogus = 1")):
            with self.subTest(bad=bad[:30]):
                self.server.config_path.write_text(bad)
                part = self.hup_and_wait("event=reload_failed")
                self.assertIn("action=kept_running", part)
                self.assertTrue(self.server.alive())
                self.assertEqual(a_records(self.port, name), ["127.0.0.5"])
                self.assertEqual(signed_add(self.port, h.fqdn(h.unique_label("i")), "v"), "NOERROR")
        self.server.config_path.unlink()
        self.hup_and_wait("event=reload_failed")
        self.assertTrue(self.server.answers_soa())
        self.server.config_path.write_text(good.replace('"Mixed A 127.0.0.5"', '"Mixed A 127.0.0.6"'))
        self.hup_and_wait()
        self.assertEqual(a_records(self.port, name), ["127.0.0.6"])

    def test_updates_during_reloads_are_all_served(self):
        acked: list = []
        errors: list = []
        stop = threading.Event()

        def send_updates():
            i = 0
            while not stop.is_set() and i < 2000:
                name = h.fqdn(f"loop{i}")
                value = f"v{i}"
                try:
                    rcode = signed_add(self.port, name, value, "tcp" if i % 2 else "udp")
                except (OSError, ValueError, AssertionError) as e:  # no answer: not acknowledged
                    errors.append(f"{name}: {e}")
                else:
                    if rcode == "NOERROR":
                        acked.append((name, value))
                    else:
                        errors.append(f"{name}: {rcode}")
                i += 1

        worker = threading.Thread(target=send_updates)
        worker.start()
        try:
            for n in range(6):
                self.wait(lambda: len(acked) > 10 * (n + 1), "updates to flow")
                self.rewrite(f'"Mixed A 127.0.0.{2 + n}"', f'"Mixed A 127.0.0.{3 + n}"')
                self.hup_and_wait()
        finally:
            stop.set()
            worker.join(timeout=60)
        self.assertFalse(worker.is_alive())
        self.assertEqual(errors, [])
        self.assertGreater(len(acked), 60)
        self.assertEqual(a_records(self.port, h.fqdn("Mixed")), ["127.0.0.8"])
        for name, value in acked:
            self.assertEqual(h.query(self.port, name, h.TXT).txt_values(), [value], name)
        self.assertEqual(self.full_log().count("event=reload_failed"), 0)


if __name__ == "__main__":
    h.main()
