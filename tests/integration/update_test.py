#!/usr/bin/env python3
"""RFC 2136 dynamic updates with TSIG against the real binary, driven by BIND's nsupdate and
Knot's knsupdate over UDP and TCP: allowed add/delete (checked with dig), every prerequisite
RCODE, scope (foreign label, apex NS/SOA refused, nothing changed), BADKEY, BADSIG, BADTIME
(a crafted packet signed here with Python's hmac), each algorithm, signed SOA answers, alias
mode with a key issued by `acmezone credential issue`, and [dns.update] enabled = false."""

import base64
import hashlib
import hmac
import json
import shutil
import struct
import subprocess
import time
import unittest

import harness as h

SECRET = base64.b64encode(b"integration-secret-for-acmezone!").decode()
ALGORITHMS = ("hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-md5")
TIMEOUT = 20


def key_tables() -> str:
    """[[dns.tsig_keys]]: one zone-wide key, and one names-scoped key per algorithm."""
    out = [f'[[dns.tsig_keys]]\nname = "zone-key"\nsecret = "{SECRET}"\nzone = true\n']
    for alg in ALGORITHMS:
        out.append(f'[[dns.tsig_keys]]\nname = "{alg}-key"\nalgorithm = "{alg}"\nsecret = "{SECRET}"\n'
                   f'names = ["{alg}-label"]\n')
    return "\n".join(out)


def run_update(tool: str, key: str, commands: list, *, tcp: bool = False, port: int) -> subprocess.CompletedProcess:
    """nsupdate or knsupdate with -y ALG:NAME:SECRET; `key` is "alg:name"."""
    script = f"server {h.HOST} {port}\n" + "\n".join(commands) + "\nsend\n"
    cmd = [tool, *(["-v"] if tcp else []), "-t", "5"]
    if key:
        cmd += ["-y", f"{key}:{SECRET}"]
    return subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=TIMEOUT)


def txt_at(port: int, name: str) -> list:
    reply = h.query(port, name, h.TXT)
    return sorted(reply.txt_values())


class UpdateServer(h.ServerTestCase):
    overrides = {"dns": {"update": {"allow_hmac_md5": True, "fudge_seconds": 300}}}

    @classmethod
    def setUpClass(cls) -> None:
        import contextlib
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(h.server_files(cls.overrides))
        with open(cls.server.config_path, "a") as f:
            f.write("\n" + key_tables())
        cls.server.start()
        cls.port = cls.server.port

    def update(self, tool, key, commands, tcp=False):
        return run_update(tool, key, ["zone " + h.ZONE, *commands], tcp=tcp, port=self.port)

    def assert_ok(self, proc):
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def assert_fails(self, proc, text):
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(text, proc.stdout + proc.stderr)

    # --- allowed changes -----------------------------------------------------------------
    def test_add_delete_udp_and_tcp(self):
        for tool in ("nsupdate", "knsupdate"):
            for tcp in (False, True):
                with self.subTest(tool=tool, tcp=tcp):
                    label = h.unique_label("ad")
                    name = h.fqdn(label)
                    serial = h.query(self.port, h.ZONE, h.SOA).answer[0].data[2]
                    self.assert_ok(self.update(tool, "hmac-sha256:zone-key",
                                               [f'update add {name} 60 TXT "one"', f'update add {name} 60 TXT "two"'], tcp))
                    self.assertEqual(txt_at(self.port, name), ["one", "two"])
                    after = h.query(self.port, h.ZONE, h.SOA).answer[0].data[2]
                    self.assertEqual(after, serial + 1)  # one bump per message (RFC 2136 §3.6)
                    self.assert_ok(self.update(tool, "hmac-sha256:zone-key", [f'update delete {name} TXT "one"'], tcp))
                    self.assertEqual(txt_at(self.port, name), ["two"])
                    self.assert_ok(self.update(tool, "hmac-sha256:zone-key", [f"update delete {name} TXT"], tcp))
                    self.assertEqual(txt_at(self.port, name), [])
                    self.assert_ok(self.update(tool, "hmac-sha256:zone-key",
                                               [f'update add {name} 60 TXT "x"', f"update delete {name}"], tcp))
                    self.assertEqual(txt_at(self.port, name), [])

    def test_each_algorithm(self):
        for alg in ALGORITHMS:
            for tool in ("nsupdate", "knsupdate"):
                with self.subTest(alg=alg, tool=tool):
                    name = h.fqdn(f"{alg}-label")
                    self.assert_ok(self.update(tool, f"{alg}:{alg}-key", [f'update add {name} 60 TXT "{tool}"']))
                    self.assertIn(tool, txt_at(self.port, name))
                    self.assert_ok(self.update(tool, f"{alg}:{alg}-key", [f'update delete {name} TXT "{tool}"'], True))
                    self.assertNotIn(tool, txt_at(self.port, name))

    # --- prerequisites (RFC 2136 §2.4) ---------------------------------------------------
    def test_every_prerequisite_rcode(self):
        name = h.fqdn(h.unique_label("pr"))
        empty = h.fqdn(h.unique_label("pr"))
        self.assert_ok(self.update("nsupdate", "hmac-sha256:zone-key", [f'update add {name} 60 TXT "v"']))
        cases = [
            (f"prereq nxdomain {name}", "YXDOMAIN"),
            (f"prereq yxdomain {empty}", "NXDOMAIN"),
            (f"prereq nxrrset {name} TXT", "YXRRSET"),
            (f"prereq yxrrset {empty} TXT", "NXRRSET"),
            (f'prereq yxrrset {name} TXT "other"', "NXRRSET"),
        ]
        for tool in ("nsupdate", "knsupdate"):
            for prereq, rcode in cases:
                with self.subTest(tool=tool, prereq=prereq):
                    proc = self.update(tool, "hmac-sha256:zone-key", [prereq, f'update add {name} 60 TXT "never"'])
                    self.assert_fails(proc, rcode)
        self.assertEqual(txt_at(self.port, name), ["v"])
        # The true forms let the update through.
        for prereq in (f"prereq yxdomain {name}", f"prereq nxdomain {empty}", f"prereq yxrrset {name} TXT",
                       f'prereq yxrrset {name} TXT "v"', f"prereq nxrrset {empty} TXT"):
            self.assert_ok(self.update("nsupdate", "hmac-sha256:zone-key", [prereq, f'update add {name} 60 TXT "v"']))

    # --- scope ---------------------------------------------------------------------------
    def test_foreign_label_refused_and_unchanged(self):
        mine, other = h.fqdn("hmac-sha256-label"), h.fqdn(h.unique_label("fo"))
        before = txt_at(self.port, mine)
        for tool in ("nsupdate", "knsupdate"):
            proc = self.update(tool, "hmac-sha256:hmac-sha256-key",
                               [f'update add {mine} 60 TXT "mine"', f'update add {other} 60 TXT "theirs"'])
            self.assert_fails(proc, "REFUSED")
        self.assertEqual(txt_at(self.port, mine), before)  # all or nothing
        self.assertEqual(txt_at(self.port, other), [])

    def test_apex_ns_soa_and_other_types_refused(self):
        apex = h.ZONE + "."
        serial = h.query(self.port, h.ZONE, h.SOA).answer[0].data[2]
        for command in (f"update delete {apex} NS", f"update add {apex} 60 NS ns9.example.net.",
                        f"update add {apex} 60 SOA a. b. 1 2 3 4 5", f"update delete {apex}",
                        f'update add {apex} 60 TXT "apex"', f"update add {h.fqdn('x')} 60 A 192.0.2.1",
                        f"update add {h.fqdn('mixed')} 60 TXT \"static owner\""):
            with self.subTest(command=command):
                self.assert_fails(self.update("nsupdate", "hmac-sha256:zone-key", [command]), "REFUSED")
        reply = h.query(self.port, h.ZONE, h.NS)
        self.assertEqual(sorted(rr.data for rr in reply.answer), sorted(h.NAMESERVERS))
        self.assertEqual(h.query(self.port, h.ZONE, h.SOA).answer[0].data[2], serial)

    def test_unsigned_update_refused(self):
        name = h.fqdn(h.unique_label("un"))
        for tool in ("nsupdate", "knsupdate"):
            self.assert_fails(self.update(tool, "", [f'update add {name} 60 TXT "x"']), "REFUSED")
        self.assertEqual(txt_at(self.port, name), [])

    # --- TSIG errors ---------------------------------------------------------------------
    def test_bad_key_and_bad_mac(self):
        name = h.fqdn(h.unique_label("bk"))
        proc = self.update("nsupdate", "hmac-sha256:no-such-key", [f'update add {name} 60 TXT "x"'])
        self.assert_fails(proc, "BADKEY")
        wrong = base64.b64encode(b"not-the-right-secret-at-all-1234").decode()
        script = f"server {h.HOST} {self.port}\nzone {h.ZONE}\nupdate add {name} 60 TXT \"x\"\nsend\n"
        proc = subprocess.run(["nsupdate", "-y", f"hmac-sha256:zone-key:{wrong}"], input=script,
                              capture_output=True, text=True, timeout=TIMEOUT)
        self.assert_fails(proc, "BADSIG")
        proc = subprocess.run(["knsupdate", "-y", f"hmac-sha256:zone-key:{wrong}"], input=script,
                              capture_output=True, text=True, timeout=TIMEOUT)
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(txt_at(self.port, name), [])

    def signed_update(self, name: str, time_signed: int, *, mac_size: int | None = None) -> h.Message:
        """An UPDATE signed here (RFC 8945 §4.3) with Python's hmac, for cases no client makes."""
        qid = 0x5151
        msg = h.header(qid, opcode=5, qd=1, an=0, ns=1, ar=0) + h.encode_name(h.ZONE) + struct.pack("!HH", h.SOA, h.IN)
        rdata = b"\x05hello"
        msg += h.encode_name(name) + struct.pack("!HHIH", h.TXT, h.IN, 60, len(rdata)) + rdata
        key_name, alg = h.encode_name("zone-key"), h.encode_name("hmac-sha256")
        variables = key_name + struct.pack("!HI", 255, 0) + alg + struct.pack("!Q", time_signed)[2:] + struct.pack("!HHH", 300, 0, 0)
        mac = hmac.new(base64.b64decode(SECRET), msg + variables, hashlib.sha256).digest()
        if mac_size is not None:
            mac = mac[:mac_size]
        tsig = alg + struct.pack("!Q", time_signed)[2:] + struct.pack("!HH", 300, len(mac)) + mac + struct.pack("!HHH", qid, 0, 0)
        signed = msg[:10] + struct.pack("!H", 1) + msg[12:] + key_name + struct.pack("!HHIH", 250, 255, 0, len(tsig)) + tsig
        return h.exchange(self.port, signed, "udp")

    def tsig_of(self, reply: h.Message):
        rr = reply.additional[-1]
        self.assertEqual(rr.type, h.TSIG)
        # algorithm name, then time (6), fudge (2), mac size (2), mac, original id, error, other len, other
        alg_end = rr.rdata.index(b"\x00") + 1
        t = int.from_bytes(rr.rdata[alg_end:alg_end + 6], "big")
        mac_size = struct.unpack("!H", rr.rdata[alg_end + 8:alg_end + 10])[0]
        rest = rr.rdata[alg_end + 10 + mac_size:]
        _, error, other_len = struct.unpack("!HHH", rest[:6])
        return t, mac_size, error, rest[6:6 + other_len]

    def test_crafted_packets_badtime_badtrunc_and_ok(self):
        name = h.fqdn(h.unique_label("ct"))
        now = int(time.time())
        reply = self.signed_update(name, now)
        self.assertEqual(reply.rcode_text, "NOERROR")
        self.assertEqual(txt_at(self.port, name), ["hello"])
        # Clock 1000 s behind: NOTAUTH, BADTIME, signed, our time in Other Data (RFC 8945 §5.2.3).
        reply = self.signed_update(name, now - 1000)
        self.assertEqual(reply.rcode_text, "NOTAUTH")
        time_signed, mac_size, error, other = self.tsig_of(reply)
        self.assertEqual((error, mac_size, time_signed), (18, 32, now - 1000))
        self.assertLessEqual(abs(int.from_bytes(other, "big") - now), 5)
        # Truncated to 16 octets (allowed by §5.2.2.1, below our minimum): BADTRUNC; 8: FORMERR.
        reply = self.signed_update(name, now, mac_size=16)
        self.assertEqual((reply.rcode_text, self.tsig_of(reply)[2]), ("NOTAUTH", 22))
        self.assertEqual(self.signed_update(name, now, mac_size=8).rcode_text, "FORMERR")

    def test_skewed_clock_with_faketime(self):
        if not shutil_which("faketime"):
            self.skipTest("faketime not installed (scripts/install-deps.sh installs it); the crafted-packet test covers BADTIME")
        name = h.fqdn(h.unique_label("ft"))
        script = f"server {h.HOST} {self.port}\nzone {h.ZONE}\nupdate add {name} 60 TXT \"x\"\nsend\n"
        # knsupdate, not BIND's nsupdate: nsupdate's event loop hangs under libfaketime.
        proc = subprocess.run(["faketime", "-f", "-2h", "knsupdate", "-t", "3", "-r", "0", "-y", f"hmac-sha256:zone-key:{SECRET}"],
                              input=script, capture_output=True, text=True, timeout=TIMEOUT)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("BADTIME", proc.stdout + proc.stderr)
        self.assertEqual(txt_at(self.port, name), [])

    # --- signed queries ------------------------------------------------------------------
    def test_signed_soa_query_gets_signed_answer(self):
        for tool in ("dig", "kdig"):
            for tcp in (False, True):
                with self.subTest(tool=tool, tcp=tcp):
                    cmd = [tool, f"@{h.HOST}", "-p", str(self.port), "-y", f"hmac-sha512:hmac-sha512-key:{SECRET}",
                           *(["+tcp"] if tcp else []), h.ZONE, "SOA"]
                    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
                    out = proc.stdout + proc.stderr
                    self.assertIn("NOERROR", out)
                    self.assertIn("TSIG", out)
                    self.assertNotIn("verify failure", out.lower())
                    self.assertNotIn("couldn't verify", out.lower())
                    self.assertNotIn("BADSIG", out)
                    self.assertEqual(proc.returncode, 0, out)


def shutil_which(name):
    return shutil.which(name)


class AliasMode(h.ServerTestCase):
    """A key issued by `acmezone credential issue` for www.example.com: certbot-style signed SOA
    probes for the customer name find "the zone", and an update of it lands on the label."""

    def test_alias_mode(self):
        if "issue" not in subprocess.run([self.server.binary, "credential", "--help"], capture_output=True, text=True,
                                         timeout=TIMEOUT).stdout:
            self.skipTest("acmezone credential issue is not available in this build")
        proc = self.server.cli("credential", "issue", "--domain", "www.example.com", "--scheme", "reverse", "--json",
                               check=False)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        issued = json.loads(proc.stdout)
        tsig = issued["tsig"]
        key = f"{tsig['algorithm']}:{tsig['name']}:{tsig['secret']}"
        label_name = issued["fulldomain"] + "."
        for qname in ("_acme-challenge.www.example.com", "www.example.com"):
            with self.subTest(qname=qname):
                cmd = ["dig", f"@{h.HOST}", "-p", str(self.port), "+tcp", "+norec", "-y", key, qname, "SOA"]
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT).stdout
                result = h.parse_client_output(out, 0)
                self.assertEqual(result.status, "NOERROR", out)
                self.assertIn("aa", result.flags)
                rows = result.rows("ANSWER", "SOA")
                self.assertEqual(len(rows), 1, out)
                self.assertEqual(rows[0][0], qname + ".")
                self.assertNotIn("verify failure", out.lower())
        # Unsigned, the customer name is not ours.
        self.assertEqual(h.query(self.port, "_acme-challenge.www.example.com", h.SOA).rcode_text, "REFUSED")
        # The update with that zone goes to the label.
        for tool in ("nsupdate", "knsupdate"):
            script = (f"server {h.HOST} {self.port}\nzone www.example.com\n"
                      f"update add _acme-challenge.www.example.com. 120 TXT \"{tool}-value\"\nsend\n")
            proc = subprocess.run([tool, "-y", key], input=script, capture_output=True, text=True, timeout=TIMEOUT)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertIn(f"{tool}-value", txt_at(self.port, label_name))
        # Any other name under the customer's zone is refused; the key's own label works directly.
        script = (f"server {h.HOST} {self.port}\nzone www.example.com\n"
                  f"update add other.www.example.com. 120 TXT \"x\"\nsend\n")
        proc = subprocess.run(["nsupdate", "-y", key], input=script, capture_output=True, text=True, timeout=TIMEOUT)
        self.assertIn("REFUSED", proc.stdout + proc.stderr)
        script = f"server {h.HOST} {self.port}\nzone {h.ZONE}\nupdate add {label_name} 120 TXT \"direct\"\nsend\n"
        proc = subprocess.run(["nsupdate", "-y", key], input=script, capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("direct", txt_at(self.port, label_name))


class UpdatesDisabled(h.ServerTestCase):
    overrides = {"dns": {"update": {"enabled": False, "allow_hmac_md5": True}}}

    @classmethod
    def setUpClass(cls) -> None:
        import contextlib
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(h.server_files(cls.overrides))
        with open(cls.server.config_path, "a") as f:
            f.write("\n" + key_tables())
        cls.server.start()
        cls.port = cls.server.port

    def test_refused_when_disabled(self):
        name = h.fqdn(h.unique_label("off"))
        proc = run_update("nsupdate", "hmac-sha256:zone-key", [f"zone {h.ZONE}", f'update add {name} 60 TXT "x"'], port=self.port)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("REFUSED", proc.stdout + proc.stderr)
        self.assertEqual(txt_at(self.port, name), [])


if __name__ == "__main__":
    h.main()
