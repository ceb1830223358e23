#!/usr/bin/env python3
"""Scope, as a property: no credential ever changes a name outside its scope. Several
credentials are issued with random label schemes (uuid, hash, reverse; one to three customer
names each) through the admin API, the CLI and acme-dns's /register; then, for random pairs of
(writer, target), updates are attempted over REST (/update with the writer's key) and RFC 2136
(UPDATE signed with the writer's TSIG key: here with Python's hmac, and a few with BIND's
nsupdate), with the target spelled in many ways: the writer's own label (exactly, in another
case, with a trailing dot, as a full name), another credential's label, the apex, a static
owner, a name below a label, nonexistent, 63-octet and non-ASCII labels, a name outside the
zone, alias mode (the customer's _acme-challenge name) for the writer's and for another
credential's customer name, and messages mixing an allowed and a forbidden owner.

After every attempt the TXT RRsets of every name involved are read back over DNS and the SOA
serial is compared: a name whose TXT set changed must be one of the writer's labels, a refused
attempt changes nothing at all (not even the serial), and an attempt whose every owner is in
scope succeeds and shows its value. At the end the store's own record list (`acmezone record
list`) must hold TXT records at credential labels only.

The random seed is printed; rerun with ACMEZONE_FUZZ_SEED=<seed> to reproduce a failure.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import struct
import subprocess
import time
import unittest

import harness as h

SEED = int(os.environ.get("ACMEZONE_FUZZ_SEED", str(random.SystemRandom().randrange(2**32))))
print(f"scope_property_test: seed {SEED} (set ACMEZONE_FUZZ_SEED={SEED} to reproduce)", flush=True)
ATTEMPTS = int(os.environ.get("ACMEZONE_SCOPE_ATTEMPTS", "1000"))
MAX_TXT_PER_NAME = 8           # zone.max_txt_per_name in the harness's config
NSUPDATE_ATTEMPTS = 12         # of ATTEMPTS, through BIND's nsupdate (slow: a process each)
HTTP_TIMEOUT = 10
ZONE = h.ZONE
UPDATE, ANY, NONE = 5, 255, 254
HASHES = {"hmac-sha1": hashlib.sha1, "hmac-sha224": hashlib.sha224, "hmac-sha256": hashlib.sha256,
          "hmac-sha384": hashlib.sha384, "hmac-sha512": hashlib.sha512}
RCODE_TEXT = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 9: "NOTAUTH",
              10: "NOTZONE"}


# ---------------------------------------------------------------------------------------------
# DNS UPDATE with TSIG (RFC 2136 §2, RFC 8945 §4.3), for any owner bytes

def wire(name: str | bytes) -> bytes:
    """Uncompressed wire form of a dotted name (case kept, labels may be any octets)."""
    raw = name.encode("utf-8") if isinstance(name, str) else name
    raw = raw.rstrip(b".")
    out = b""
    for label in (raw.split(b".") if raw else []):
        if not 0 < len(label) <= 63:
            raise ValueError(f"cannot encode label {label!r}")
        out += bytes([len(label)]) + label
    return out + b"\x00"


def canonical(name: str) -> bytes:
    return wire(name.lower())


def update_message(qid: int, zone: str, rrs: list) -> bytes:
    """rrs: (owner, type, class, ttl, rdata) tuples in the update section."""
    msg = struct.pack("!6H", qid, UPDATE << 11, 1, 0, len(rrs), 0) + wire(zone) + struct.pack("!HH", h.SOA, h.IN)
    for owner, rtype, cls, ttl, rdata in rrs:
        msg += wire(owner) + struct.pack("!HHIH", rtype, cls, ttl, len(rdata)) + rdata
    return msg


def tsig_sign(msg: bytes, key_name: str, algorithm: str, secret: bytes) -> bytes:
    time_signed = struct.pack("!Q", int(time.time()))[2:]
    fudge = 300
    variables = canonical(key_name) + struct.pack("!HI", ANY, 0) + canonical(algorithm) + time_signed + \
        struct.pack("!HHH", fudge, 0, 0)
    mac = hmac.new(secret, msg + variables, HASHES[algorithm]).digest()
    rdata = wire(algorithm.lower()) + time_signed + struct.pack("!HH", fudge, len(mac)) + mac + msg[:2] + struct.pack("!HH", 0, 0)
    arcount = struct.unpack("!H", msg[10:12])[0] + 1
    return msg[:10] + struct.pack("!H", arcount) + msg[12:] + wire(key_name) + struct.pack("!HHIH", h.TSIG, ANY, 0, len(rdata)) + rdata


def txt_rdata(value: str) -> bytes:
    raw = value.encode()
    return bytes([len(raw)]) + raw


# ---------------------------------------------------------------------------------------------
# The credentials under test

class Credential:
    def __init__(self, issued: dict, origin: str):
        self.origin = origin
        self.username = issued["username"]
        self.password = issued["password"]
        names = issued.get("names") or [{"subdomain": issued["subdomain"], "domain": None}]
        self.labels = [n["subdomain"] for n in names]
        self.domains = {n["domain"]: n["subdomain"] for n in names if n.get("domain")}
        tsig = issued.get("tsig")
        self.tsig = (tsig["name"], tsig["algorithm"], base64.b64decode(tsig["secret"])) if tsig else None

    def owners(self) -> set:
        return {f"{label}.{ZONE}." for label in self.labels}

    def __repr__(self):
        return f"<{self.origin} {self.username} labels={self.labels}>"


class ScopeProperty(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        p = subprocess.run([h.BINARY, "token", "new", "--name", "ops"], capture_output=True, text=True,
                           timeout=h.SUBPROCESS_TIMEOUT)
        assert p.returncode == 0, p.stderr
        cls.token = re.search(r"^token: (\S+)$", p.stdout, re.M).group(1)
        sha = re.search(r'^sha256 = "([0-9a-f]{64})"$', p.stdout, re.M).group(1)
        cls.api_port = h.free_port()
        cls._stack = contextlib.ExitStack()
        overrides = {"api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open", "txt_values": 2},
                     "limits": {"update_rate": 0, "auth_failures_per_minute": 0}}
        cls.server = cls._stack.enter_context(h.server_files(overrides))
        with open(cls.server.config_path, "a") as f:
            f.write(f'\n[[api.admin_tokens]]\nname = "ops"\nsha256 = "{sha}"\n')
        cls.server.start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            code = cls.server.stop()
            assert code == 0, f"acmezone exited {code} after SIGTERM:\n{cls.server.log()}"
        finally:
            cls._stack.close()

    # -- REST -----------------------------------------------------------------------------
    def http(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection(h.HOST, self.api_port, timeout=HTTP_TIMEOUT)
        try:
            conn.request(method, path, body=body.encode() if body is not None else None, headers=headers or {})
            reply = conn.getresponse()
            return reply.status, reply.read().decode(errors="replace")
        finally:
            conn.close()

    def issue_credentials(self, rng: random.Random) -> list:
        creds = []
        for i in range(6):
            scheme = rng.choice(["uuid", "hash", "reverse"])
            domains = [f"{rng.choice(['www', 'api', 'mail', 'x-1'])}{i}{j}.{rng.choice(['example.com', 'example.org', 'ex.net'])}"
                       for j in range(rng.randint(1, 3))]
            if i % 2 == 0:  # the admin API
                status, body = self.http("POST", "/admin/credentials", json.dumps({"domains": domains, "scheme": scheme}),
                                         {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
                self.assertEqual(status, 201, body)
                creds.append(Credential(json.loads(body), f"admin:{scheme}"))
            else:           # the CLI, a second process on the same store
                args = ["credential", "issue", *[a for d in domains for a in ("--domain", d)], "--scheme", scheme, "--json"]
                creds.append(Credential(json.loads(self.server.cli(*args).stdout), f"cli:{scheme}"))
        for _ in range(2):  # acme-dns style: a uuid label, no customer name, no TSIG key
            status, body = self.http("POST", "/register", "")
            self.assertEqual(status, 201, body)
            creds.append(Credential(json.loads(body), "register"))
        return creds

    # -- the observed state ---------------------------------------------------------------
    def txt(self, owner: str) -> tuple:
        reply = h.query(self.port, owner, h.TXT, edns=h.Edns(payload=4096))
        self.assertIn(reply.rcode_text, ("NOERROR", "NXDOMAIN"), owner)
        self.assertEqual(reply.tc, 0, owner)
        return tuple(sorted(reply.txt_values()))

    def serial(self) -> int:
        return h.query(self.port, ZONE, h.SOA).answer[0].data[2]

    def snapshot(self, names: set) -> dict:
        return {name: self.txt(name) for name in sorted(names)}

    # -- attempts -------------------------------------------------------------------------
    def rest_attempt(self, rng, writer: Credential, others: list, observe) -> tuple[str, str | None, dict]:
        """A /update by writer with the subdomain spelled at random; returns (what, the owner in
        scope it must change or None when it must be refused, details). observe(names) is
        called with the names it may touch before anything is sent."""
        own = rng.choice(writer.labels)
        other = rng.choice([label for c in others for label in c.labels])
        spellings = [
            ("own label", own, True), ("own label upper-case", own.upper(), False),
            ("own label, trailing dot", own + ".", False), ("own full name", f"{own}.{ZONE}", False),
            ("other's label", other, False), ("empty", "", False), ("apex", "@", False), ("apex name", ZONE, False),
            ("static owner", "mixed", False), ("nonexistent", h.unique_label("nx"), False), ("too long", "a" * 64, False),
            ("non-ASCII", "\u00fc" + own[1:], False), ("padded", f" {own}", False), ("below own", f"x.{own}", False),
            ("prefix of own", own[:-1], False), ("own label + char", own + "a", False),
        ]
        # A third of the attempts are the writer's own label, so the accepted side is exercised too.
        what, subdomain, allowed = spellings[0] if rng.random() < 0.33 else rng.choice(spellings)
        if own.upper() == own and what == "own label upper-case":
            allowed = True  # an all-digit label has no case to change
        value = h.acme_value(rng.getrandbits(32))
        key = writer.password if rng.random() < 0.92 else "B" * 40
        if key != writer.password:
            what, allowed = what + " (wrong key)", False
        observe([self.ascii_owner(subdomain)])
        status, body = self.http("POST", "/update", json.dumps({"subdomain": subdomain, "txt": value}),
                                 {"X-Api-User": writer.username, "X-Api-Key": key})
        owner = f"{subdomain}.{ZONE}." if allowed else None
        return f"REST {what}", owner, {"status": status, "body": body, "value": value, "ok": status == 200,
                                         "subdomain": subdomain}

    @staticmethod
    def ascii_owner(label: str) -> str | None:
        """The absolute name a label spelling stands for, if it can be queried (for the snapshot)."""
        label = label.rstrip(".")
        if not label or label == "@" or not label.isascii() or " " in label or any(len(p) > 63 for p in label.split(".")):
            return None
        return label.lower() + ("." if label.lower().endswith(ZONE) else f".{ZONE}.")

    def dns_attempt(self, rng, writer: Credential, others: list, use_nsupdate: bool, observe) -> tuple[str, str | None, dict]:
        own = rng.choice(writer.labels)
        other_cred = rng.choice([c for c in others if c.labels])
        other = rng.choice(other_cred.labels)
        case = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in own)
        zone = ZONE
        value = f"v{rng.getrandbits(40):010x}"
        kinds = ["own", "own case", "other", "apex", "static", "below own", "nonexistent", "long label", "non-ASCII",
                 "outside zone", "mixed own+other", "delete own", "delete other"]
        if writer.domains:
            kinds += ["alias own", "alias own domain"]
        if other_cred.domains:
            kinds.append("alias other")
        own_kinds = [k for k in kinds if k in ("own", "own case", "delete own", "alias own", "alias own domain")]
        kind = rng.choice(own_kinds) if rng.random() < 0.33 else rng.choice(kinds)
        add = lambda owner: (owner, h.TXT, h.IN, 60, txt_rdata(value))   # noqa: E731
        delete = lambda owner: (owner, h.TXT, ANY, 0, b"")               # noqa: E731
        allowed_owner = None
        if kind == "own":
            rrs, allowed_owner = [add(f"{own}.{ZONE}.")], own
        elif kind == "own case":
            rrs, allowed_owner = [add(f"{case}.{ZONE}.")], own  # DNS names compare without case
        elif kind == "other":
            rrs = [add(f"{other}.{ZONE}.")]
        elif kind == "apex":
            rrs = [add(f"{ZONE}.")]
        elif kind == "static":
            rrs = [add(f"MiXeD.{ZONE}.")]
        elif kind == "below own":
            rrs = [add(f"_acme-challenge.{own}.{ZONE}.")]
        elif kind == "nonexistent":
            rrs = [add(f"{h.unique_label('nx')}.{ZONE}.")]
        elif kind == "long label":
            rrs = [add(f"{'q' * 63}.{ZONE}.")]
        elif kind == "non-ASCII":
            rrs = [add("\u00fc".encode() + own.encode()[2:] + f".{ZONE}.".encode())]
        elif kind == "outside zone":
            rrs = [add(f"{own}.example.org.")]
        elif kind == "mixed own+other":
            rrs = [add(f"{own}.{ZONE}."), add(f"{other}.{ZONE}.")]  # all or nothing (RFC 2136 §3.4)
        elif kind == "delete own":
            rrs, allowed_owner = [delete(f"{own}.{ZONE}.")], own
        elif kind == "delete other":
            rrs = [delete(f"{other}.{ZONE}.")]
        elif kind in ("alias own", "alias own domain"):
            domain = rng.choice(sorted(writer.domains))
            zone = domain
            rrs = [add(f"_acme-challenge.{domain}." if kind == "alias own" else f"{domain}.")]
            allowed_owner = writer.domains[domain]
        else:  # alias other
            domain = rng.choice(sorted(other_cred.domains))
            zone = domain
            rrs = [add(f"_acme-challenge.{domain}.")]
        key_name, algorithm, secret = writer.tsig
        if rng.random() < 0.05:  # another credential's key name with the writer's secret
            if other_cred.tsig:
                key_name = other_cred.tsig[0]
                kind, allowed_owner = kind + " (wrong key)", None
        observe([r[0].lower() for r in rrs if isinstance(r[0], str) and r[0].lower().endswith(f".{ZONE}.") and r[0].isascii()])
        details = {"value": value, "kind": kind, "rrs": [r[0] for r in rrs], "zone": zone, "delete": kind.startswith("delete")}
        if use_nsupdate and all(isinstance(r[0], str) and r[0].isascii() for r in rrs):
            lines = [f"server {h.HOST} {self.port}", f"zone {zone}"]
            for owner, _, cls, _, _ in rrs:
                lines.append(f"update delete {owner} TXT" if cls == ANY else f'update add {owner} 60 TXT "{value}"')
            proc = subprocess.run(["nsupdate", "-t", "5", "-y", f"{algorithm}:{key_name}:{base64.b64encode(secret).decode()}"],
                                  input="\n".join(lines) + "\nsend\n", capture_output=True, text=True, timeout=20)
            details.update(ok=proc.returncode == 0, rcode="nsupdate exit %d: %s" % (proc.returncode, (proc.stdout + proc.stderr)[-200:]))
            what = f"nsupdate {kind}"
        else:
            msg = tsig_sign(update_message(rng.randrange(65536), zone, rrs), key_name, algorithm, secret)
            raw = h.udp_exchange(self.port, msg, timeout=3.0)
            self.assertIsNotNone(raw, f"no reply to UPDATE {kind}")
            reply = h.parse_message(raw)
            details.update(ok=reply.rcode == 0, rcode=RCODE_TEXT.get(reply.rcode, reply.rcode))
            what = f"RFC 2136 {kind}"
        owner = f"{allowed_owner}.{ZONE}." if allowed_owner else None
        return what, owner, details

    # -- the property ---------------------------------------------------------------------
    def test_no_credential_writes_outside_its_scope(self):
        if not shutil.which("nsupdate"):
            self.skipTest("nsupdate is not installed (scripts/install-deps.sh installs bind9-dnsutils)")
        rng = random.Random(SEED)
        creds = self.issue_credentials(rng)
        all_owners = set().union(*(c.owners() for c in creds))
        self.assertEqual(len(all_owners), sum(len(c.labels) for c in creds), "two credentials share a label")
        universe = all_owners | {f"{ZONE}.", f"mixed.{ZONE}."}
        state = self.snapshot(universe)
        serial = self.serial()
        started = time.monotonic()
        outcomes: dict = {}
        nsupdates = 0
        for i in range(ATTEMPTS):
            writer = rng.choice(creds)
            others = [c for c in creds if c is not writer]
            def observe(names):
                # Names first seen now are read before the attempt, so a change to them shows.
                for name in names:
                    if name and name not in universe:
                        universe.add(name)
                        state[name] = self.txt(name)

            if writer.tsig and rng.random() < 0.5:
                use_nsupdate = nsupdates < NSUPDATE_ATTEMPTS and rng.random() < 0.05
                nsupdates += use_nsupdate
                what, owner, d = self.dns_attempt(rng, writer, others, use_nsupdate, observe)
            else:
                what, owner, d = self.rest_attempt(rng, writer, others, observe)
            before = dict(state)
            after = self.snapshot(universe)
            new_serial = self.serial()
            where = f"attempt #{i} (seed {SEED}): {what} by {writer}: {d}"
            changed = {n for n in universe if before[n] != after[n]}
            if owner is not None and what.startswith(("RFC 2136", "nsupdate")) and not d["delete"] \
                    and len(before[owner]) >= MAX_TXT_PER_NAME:
                owner = None  # a ninth value is refused (zone.max_txt_per_name), in scope or not
            # The property: whatever happened, only the writer's own names changed.
            self.assertLessEqual(changed, writer.owners(), f"{where}: changed {changed}")
            if owner is None:
                self.assertFalse(d["ok"], f"{where}: accepted")
                self.assertEqual(changed, set(), f"{where}: refused yet changed {changed}")
                self.assertEqual(new_serial, serial, f"{where}: refused yet the serial moved")
            else:
                self.assertTrue(d["ok"], f"{where}: refused")
                if d.get("delete"):
                    self.assertEqual(after[owner], (), where)
                else:
                    self.assertIn(d["value"], after[owner], where)
            state, serial = after, new_serial
            key = f"{what.split(' (')[0]}: {'ok' if d['ok'] else 'refused'}"
            outcomes[key] = outcomes.get(key, 0) + 1
        # The store itself (a second process reading the LMDB file): TXT only at credential labels.
        listed = self.server.record_list()
        owners = {line.split()[0].lower() for line in listed if " TXT " in line}
        self.assertLessEqual(owners, all_owners, f"TXT records outside every scope (seed {SEED}): {owners - all_owners}")
        self.assertTrue(owners, "no update succeeded at all")
        elapsed = time.monotonic() - started
        print(f"\nscope_property: {ATTEMPTS} attempts by {len(creds)} credentials in {elapsed:.1f} s (seed {SEED}):\n  " +
              "\n  ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())), flush=True)


if __name__ == "__main__":
    h.main()
