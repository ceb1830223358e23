#!/usr/bin/env python3
"""GET /metrics, /ready and /health of the real binary: the exposition text passes a strict
parser of the Prometheus text format 0.0.4 written here (and `promtool check metrics` when
promtool is on PATH), and the counters move by exactly what the test did: UDP and TCP queries
of several types (NXDOMAIN, REFUSED, BADVERS and a truncated answer among them), REST updates
(accepted, a wrong key, rate-limited), RFC 2136 updates (nsupdate, and a forged MAC), and the
writer's commits. Also api.metrics_allow (403 outside) and /ready while serving."""

import base64
import contextlib
import hashlib
import hmac
import json
import math
import re
import shutil
import struct
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import harness as h

SECRET = base64.b64encode(b"metrics-test-secret-for-acmezone").decode()
TIMEOUT = 20
BIG_TXT = "x" * 250  # two of these in one RR: larger than 512 octets, so truncated over plain UDP

# ---------------------------------------------------------------------------------------------
# A strict parser of the text exposition format 0.0.4


class ExpositionError(AssertionError):
    pass


METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z|[+-]Inf\Z|NaN\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_value(text: str, where: str) -> float:
    if not FLOAT.match(text):
        raise ExpositionError(f"{where}: {text!r} is not a float")
    return float(text.replace("Inf", "inf"))


def parse_labels(text: str, where: str) -> tuple:
    """The inside of {...}: name="value" pairs, comma-separated, escapes \\\\ \\" \\n only."""
    labels, i = [], 0
    while i < len(text):
        m = re.match(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"", text[i:])
        if not m:
            raise ExpositionError(f"{where}: bad label at {text[i:]!r}")
        name, i = m.group(1), i + m.end()
        value = []
        while True:
            if i >= len(text):
                raise ExpositionError(f"{where}: unterminated label value")
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ExpositionError(f"{where}: bad escape \\{nxt}")
                value.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ExpositionError(f"{where}: raw newline in a label value")
            else:
                value.append(c)
                i += 1
        if name in (n for n, _ in labels):
            raise ExpositionError(f"{where}: label {name} twice")
        labels.append((name, "".join(value)))
        if i < len(text):
            if text[i] != ",":
                raise ExpositionError(f"{where}: expected ',' at {text[i:]!r}")
            i += 1
            if i == len(text):
                raise ExpositionError(f"{where}: trailing comma")
    return tuple(labels)


def split_sample(line: str, where: str):
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
    if not m:
        raise ExpositionError(f"{where}: no metric name in {line!r}")
    name, rest = m.group(1), line[m.end():]
    labels = ()
    if rest.startswith("{"):
        # The closing brace is the first '}' outside a quoted value.
        i, quoted = 1, False
        while i < len(rest):
            if quoted and rest[i] == "\\":
                i += 2
                continue
            if rest[i] == '"':
                quoted = not quoted
            elif rest[i] == "}" and not quoted:
                break
            i += 1
        if i >= len(rest):
            raise ExpositionError(f"{where}: unterminated label set")
        labels = parse_labels(rest[1:i], where)
        rest = rest[i + 1:]
    parts = rest.split(" ")
    if len(parts) not in (2, 3) or parts[0] != "":
        raise ExpositionError(f"{where}: expected ' value [timestamp]' after the name in {line!r}")
    value = parse_value(parts[1], where)
    if len(parts) == 3 and not re.fullmatch(r"-?\d+", parts[2]):
        raise ExpositionError(f"{where}: bad timestamp {parts[2]!r}")
    return name, labels, value


def parse_exposition(text: str) -> dict:
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}}; raises
    ExpositionError on anything the format does not allow or that breaks its rules."""
    if text and not text.endswith("\n"):
        raise ExpositionError("the text does not end with a newline")
    families: dict = {}
    current = None
    closed: set = set()
    series: set = set()

    def family_of(sample_name: str):
        for fam in (current,):
            if fam is None:
                continue
            kind = families[fam]["type"]
            if kind == "histogram":
                if sample_name in (fam + "_bucket", fam + "_sum", fam + "_count"):
                    return fam
            elif sample_name == fam:
                return fam
        return None

    for number, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {number}"
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not METRIC_NAME.match(name):
                    raise ExpositionError(f"{where}: invalid metric name {name!r}")
                fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
                if name in closed or (current not in (None, name) and fam["samples"]):
                    raise ExpositionError(f"{where}: family {name} is split")
                if current != name:
                    if current is not None:
                        closed.add(current)
                    current = name
                if parts[1] == "TYPE":
                    if fam["type"] is not None:
                        raise ExpositionError(f"{where}: second TYPE for {name}")
                    if fam["samples"]:
                        raise ExpositionError(f"{where}: TYPE after samples of {name}")
                    kind = parts[3] if len(parts) == 4 else ""
                    if kind not in TYPES:
                        raise ExpositionError(f"{where}: unknown type {kind!r}")
                    fam["type"] = kind
                else:
                    if fam["help"] is not None:
                        raise ExpositionError(f"{where}: second HELP for {name}")
                    help_text = parts[3] if len(parts) == 4 else ""
                    if re.search(r"\\[^\\n]", help_text.replace("\\\\", "")):
                        raise ExpositionError(f"{where}: bad escape in HELP")
                    fam["help"] = help_text
            continue  # any other comment is allowed
        name, labels, value = split_sample(line, where)
        fam = family_of(name)
        if fam is None:
            raise ExpositionError(f"{where}: sample {name} outside its family's TYPE block")
        if families[fam]["type"] is None:
            raise ExpositionError(f"{where}: sample {name} before the TYPE of {fam}")
        key = (name, tuple(sorted(labels)))
        if key in series:
            raise ExpositionError(f"{where}: duplicate series {name}{dict(labels)}")
        series.add(key)
        families[fam]["samples"].append((name, labels, value))

    for fam, info in families.items():
        if info["type"] is None:
            raise ExpositionError(f"family {fam} has no TYPE")
        if info["type"] == "counter":
            for _, _, v in info["samples"]:
                if v < 0 or math.isnan(v):
                    raise ExpositionError(f"counter {fam} has value {v}")
        if info["type"] == "histogram":
            check_histogram(fam, info["samples"])
    return families


def check_histogram(fam: str, samples: list) -> None:
    """Per label set: buckets ascending by le, cumulative, ending at +Inf == _count; a _sum."""
    groups: dict = {}
    for name, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels if k != "le"))
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if name.endswith("_bucket"):
            le = dict(labels).get("le")
            if le is None:
                raise ExpositionError(f"{fam}: a bucket without le")
            g["buckets"].append((parse_value(le, fam), value))
        elif name.endswith("_sum"):
            g["sum"] = value
        else:
            g["count"] = value
    for rest, g in groups.items():
        b = g["buckets"]
        if not b or b[-1][0] != math.inf:
            raise ExpositionError(f"{fam}{dict(rest)}: buckets do not end at +Inf")
        for (le1, c1), (le2, c2) in zip(b, b[1:]):
            if not le1 < le2:
                raise ExpositionError(f"{fam}{dict(rest)}: le not ascending ({le1}, {le2})")
            if c2 < c1:
                raise ExpositionError(f"{fam}{dict(rest)}: buckets not cumulative")
        if g["count"] is None or g["sum"] is None:
            raise ExpositionError(f"{fam}{dict(rest)}: _count or _sum missing")
        if g["count"] != b[-1][1]:
            raise ExpositionError(f"{fam}{dict(rest)}: +Inf bucket {b[-1][1]} != _count {g['count']}")


class Metrics:
    """One parsed scrape, with lookup by name and labels."""

    def __init__(self, text: str):
        self.text = text
        self.families = parse_exposition(text)
        self.values = {}
        for info in self.families.values():
            for name, labels, value in info["samples"]:
                self.values[(name, tuple(sorted(labels)))] = value

    def get(self, name: str, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        if key not in self.values:
            raise AssertionError(f"no series {name}{labels} in:\n{self.text}")
        return self.values[key]


# ---------------------------------------------------------------------------------------------
# HTTP


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    """(status, content type, body text); never raises for an HTTP error status."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


class ParserSelfTest(unittest.TestCase):
    """The parser must refuse what the format forbids, or the checks below prove nothing."""

    GOOD = ('# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\na_total{x="q\\"\\\\\\n"} 0\n'
            '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3.5\nh_count 2\n')

    def test_accepts_good_text(self):
        fams = parse_exposition(self.GOOD)
        self.assertEqual(fams["a_total"]["samples"][1][1], (("x", 'q"\\\n'),))

    def test_refuses_bad_text(self):
        bad = {
            "no newline at end": "# TYPE a gauge\na 1",
            "sample before TYPE": "a 1\n# TYPE a gauge\n",
            "bad value": "# TYPE a gauge\na one\n",
            "bad name": "# TYPE 1a gauge\n",
            "bad escape": '# TYPE a gauge\na{x="\\t"} 1\n',
            "duplicate series": "# TYPE a gauge\na 1\na 2\n",
            "split family": "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a again\n",
            "not cumulative": '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
            "no +Inf": '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
            "+Inf != count": '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
            "negative counter": "# TYPE c_total counter\nc_total -1\n",
            "unknown type": "# TYPE a meter\n",
            "trailing comma": '# TYPE a gauge\na{x="1",} 1\n',
        }
        for what, text in bad.items():
            with self.subTest(what):
                with self.assertRaises(ExpositionError):
                    parse_exposition(text)


# ---------------------------------------------------------------------------------------------
# The server


def signed_update(port: int, name: str, *, forge: bool = False) -> h.Message:
    """An UPDATE adding a TXT at `name`, signed here with hmac-sha256 (RFC 8945 §4.3);
    `forge` flips a MAC bit (BADSIG)."""
    qid = 0x6262
    now = int(time.time())
    msg = h.header(qid, opcode=5, qd=1, an=0, ns=1, ar=0) + h.encode_name(h.ZONE) + struct.pack("!HH", h.SOA, h.IN)
    rdata = b"\x05hello"
    msg += h.encode_name(name) + struct.pack("!HHIH", h.TXT, h.IN, 60, len(rdata)) + rdata
    key_name, alg = h.encode_name("zone-key"), h.encode_name("hmac-sha256")
    variables = key_name + struct.pack("!HI", 255, 0) + alg + struct.pack("!Q", now)[2:] + struct.pack("!HHH", 300, 0, 0)
    mac = bytearray(hmac.new(base64.b64decode(SECRET), msg + variables, hashlib.sha256).digest())
    if forge:
        mac[0] ^= 1
    tsig = alg + struct.pack("!Q", now)[2:] + struct.pack("!HH", 300, len(mac)) + bytes(mac) + struct.pack("!HHH", qid, 0, 0)
    signed = msg[:10] + struct.pack("!H", 1) + msg[12:] + key_name + struct.pack("!HHIH", 250, 255, 0, len(tsig)) + tsig
    return h.exchange(port, signed, "udp")


class MetricsServer(h.ServerTestCase):
    """One server: API with open registration, a zone-wide TSIG key, a static TXT record too
    large for plain UDP."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.api_port = h.free_port()
        cls._stack = contextlib.ExitStack()
        overrides = {
            "zone": {"records": [*h.STATIC_RECORDS, f'big TXT "{BIG_TXT}" "{BIG_TXT}"']},
            "api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open"},
            "limits": {"update_rate": 1, "update_burst": 3},
        }
        cls.server = cls._stack.enter_context(h.server_files(overrides))
        with open(cls.server.config_path, "a") as f:
            f.write(f'\n[[dns.tsig_keys]]\nname = "zone-key"\nsecret = "{SECRET}"\nzone = true\n')
        cls.server.start()
        cls.port = cls.server.port
        cls.base = f"http://127.0.0.1:{cls.api_port}"

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            code = cls.server.stop()
            if code != 0:
                raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{cls.server.log()}")
        finally:
            cls._stack.close()

    def scrape(self) -> Metrics:
        status, ctype, body = http("GET", self.base + "/metrics")
        self.assertEqual(status, 200, body)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        if shutil.which("promtool"):
            proc = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True,
                                  timeout=TIMEOUT)
            # promtool exits 1 for lint findings too; a parse error is what must never happen.
            self.assertNotIn("error while linting", proc.stdout + proc.stderr)
            self.assertNotRegex(proc.stdout + proc.stderr, r"(?i)parse error|text format parsing error")
        return Metrics(body)

    def delta(self, before: Metrics, after: Metrics, name: str, **labels) -> float:
        return after.get(name, **labels) - before.get(name, **labels)

    def assert_deltas(self, before: Metrics, after: Metrics, expected: dict) -> None:
        for (name, labels), want in expected.items():
            with self.subTest(series=name, **dict(labels)):
                self.assertEqual(self.delta(before, after, name, **dict(labels)), want)

    # -- tests ------------------------------------------------------------------------------
    def test_ready_and_health(self):
        status, ctype, body = http("GET", self.base + "/ready")
        self.assertEqual((status, ctype, json.loads(body)), (200, "application/json", {"status": "ready"}))
        status, _, body = http("GET", self.base + "/health")
        self.assertEqual((status, body), (200, ""))
        status, _, _ = http("POST", self.base + "/metrics", b"")
        self.assertEqual(status, 405)

    def test_static_parts(self):
        m = self.scrape()
        self.assertEqual(m.get("acmezone_build_info", version=h.VERSION), 1)
        start = m.get("acmezone_start_time_seconds")
        self.assertLess(abs(start - time.time()), 3600)
        self.assertGreaterEqual(m.get("acmezone_uptime_seconds"), 0)
        self.assertGreater(m.get("acmezone_store_map_bytes"), 0)
        self.assertGreater(m.get("acmezone_store_file_bytes"), 0)
        self.assertGreater(m.get("acmezone_store_used_bytes"), 0)
        for fam in ("acmezone_writer_batch_size", "acmezone_writer_commit_duration_seconds"):
            self.assertEqual(m.families[fam]["type"], "histogram")
        for fam, info in m.families.items():
            if info["type"] == "counter":
                self.assertTrue(fam.endswith("_total"), fam)
            self.assertTrue(fam.startswith("acmezone_"), fam)
            self.assertTrue(info["help"], fam)

    def test_dns_queries_move_their_counters_exactly(self):
        before = self.scrape()
        existing = h.unique_label("m")
        self.server.record_add(existing, h.acme_value(1))
        after_cli = self.scrape()  # the CLI writes through its own process: no query counted
        self.assertEqual(self.delta(before, after_cli, "acmezone_dns_udp_received_total"), 0)

        udp = [  # (name, type, expected RCODE text, qtype label)
            (h.fqdn(existing), h.TXT, "NOERROR", "TXT"),
            (h.fqdn("nothing-here"), h.TXT, "NXDOMAIN", "TXT"),
            (h.fqdn("nothing-here"), h.A, "NXDOMAIN", "A"),
            (h.fqdn(""), h.SOA, "NOERROR", "SOA"),
            (h.fqdn(""), h.NS, "NOERROR", "NS"),
            (h.fqdn(""), h.CAA, "NOERROR", "CAA"),
            (h.fqdn(""), h.AAAA, "NOERROR", "AAAA"),
            (h.fqdn(""), 15, "NOERROR", "other"),  # MX: no data
            ("example.org.", h.A, "REFUSED", "A"),
        ]
        for name, qtype, rcode, _ in udp:
            self.assertEqual(h.query(self.port, name, qtype).rcode_text, rcode)
        badvers = h.query(self.port, h.fqdn(""), h.SOA, edns=h.Edns(version=1))
        self.assertEqual(badvers.rcode_text, "BADVERS")
        truncated = h.query(self.port, h.fqdn("big"), h.TXT)  # no EDNS: 512 octets at most
        self.assertEqual(truncated.tc, 1)
        tcp = [(h.fqdn("big"), h.TXT, "NOERROR", "TXT"), (h.fqdn("gone"), h.ANY, "NXDOMAIN", "ANY"),
               (h.fqdn(""), h.SOA, "NOERROR", "SOA")]
        for name, qtype, rcode, _ in tcp:
            reply = h.query(self.port, name, qtype, transport="tcp")
            self.assertEqual((reply.rcode_text, reply.tc), (rcode, 0))
        after = self.scrape()

        expected: dict = {}

        def bump(key, n=1):
            expected[key] = expected.get(key, 0) + n

        for _, _, rcode, qtype in udp:
            bump(("acmezone_dns_queries_total", (("transport", "udp"), ("qtype", qtype))))
            bump(("acmezone_dns_responses_total", (("transport", "udp"), ("rcode", rcode))))
        bump(("acmezone_dns_queries_total", (("transport", "udp"), ("qtype", "SOA"))))
        bump(("acmezone_dns_responses_total", (("transport", "udp"), ("rcode", "BADVERS"))))
        bump(("acmezone_dns_queries_total", (("transport", "udp"), ("qtype", "TXT"))))
        bump(("acmezone_dns_responses_total", (("transport", "udp"), ("rcode", "NOERROR"))))
        for _, _, rcode, qtype in tcp:
            bump(("acmezone_dns_queries_total", (("transport", "tcp"), ("qtype", qtype))))
            bump(("acmezone_dns_responses_total", (("transport", "tcp"), ("rcode", rcode))))
        for qtype in ("A", "AAAA", "TXT", "SOA", "NS", "CAA", "CNAME", "ANY", "other"):
            for transport in ("udp", "tcp"):
                expected.setdefault(("acmezone_dns_queries_total", (("transport", transport), ("qtype", qtype))), 0)
        for rcode in ("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "NOTAUTH", "BADVERS"):
            for transport in ("udp", "tcp"):
                expected.setdefault(("acmezone_dns_responses_total", (("transport", transport), ("rcode", rcode))), 0)
        udp_count = len(udp) + 2
        expected.update({
            ("acmezone_dns_truncated_responses_total", (("transport", "udp"),)): 1,
            ("acmezone_dns_udp_received_total", ()): udp_count,
            ("acmezone_dns_udp_sent_total", ()): udp_count,
            ("acmezone_dns_udp_dropped_total", ()): 0,
            ("acmezone_dns_udp_rate_limited_total", ()): 0,
            ("acmezone_dns_udp_slipped_total", ()): 0,
            ("acmezone_dns_tcp_connections_total", (("event", "accepted"),)): len(tcp),
            ("acmezone_dns_tcp_connections_total", (("event", "rejected"),)): 0,
            ("acmezone_dns_tcp_messages_total", ()): len(tcp),
            ("acmezone_dns_tcp_responses_total", ()): len(tcp),
        })
        self.assert_deltas(after_cli, after, expected)

    def test_rest_updates_auth_failures_and_rate_limits(self):
        before = self.scrape()
        status, _, body = http("POST", self.base + "/register", b"")
        self.assertEqual(status, 201, body)
        account = json.loads(body)

        def update(key: str):
            data = json.dumps({"subdomain": account["subdomain"], "txt": h.acme_value(7)}).encode()
            return http("POST", self.base + "/update", data,
                        {"X-Api-User": account["username"], "X-Api-Key": key, "Content-Type": "application/json"})

        self.assertEqual(update(account["password"])[0], 200)
        self.assertEqual(update("x" * 40)[0], 401)  # wrong key: an authentication failure
        # Until the credential's bucket (burst 3, 1/s) runs dry; count what happened.
        ok, limited = 1, 0
        for _ in range(20):
            status = update(account["password"])[0]
            self.assertIn(status, (200, 429))
            if status == 200:
                ok += 1
            else:
                limited += 1
                break
        self.assertEqual(limited, 1, "the rate limit never answered 429")
        after = self.scrape()

        rest = lambda outcome: ("acmezone_updates_total", (("front_door", "rest"), ("outcome", outcome)))  # noqa: E731
        self.assert_deltas(before, after, {
            ("acmezone_updates_total", (("front_door", "register"), ("outcome", "ok"))): 1,
            rest("ok"): ok,
            rest("forbidden"): 1,
            rest("rate_limited"): limited,
            rest("bad_request"): 0,
            rest("error"): 0,
            ("acmezone_auth_failures_total", (("front_door", "rest"),)): 1,
            ("acmezone_auth_failures_total", (("front_door", "admin"),)): 0,
            ("acmezone_rate_limited_requests_total", (("front_door", "rest"),)): limited,
            ("acmezone_credentials", ()): 1,
            ("acmezone_credential_labels", ()): 1,
        })
        # Each accepted update is one change set through the writer; the histograms agree with
        # the commit count.
        self.assertEqual(self.delta(before, after, "acmezone_writer_change_sets_total", outcome="failed"), 0)
        self.assertGreaterEqual(self.delta(before, after, "acmezone_writer_change_sets_total", outcome="ok"), ok)
        commits = after.get("acmezone_writer_commits_total")
        self.assertGreaterEqual(commits - before.get("acmezone_writer_commits_total"), 1)
        self.assertEqual(after.get("acmezone_writer_batch_size_count"), commits)
        self.assertEqual(after.get("acmezone_writer_commit_duration_seconds_count"), commits)
        self.assertGreater(after.get("acmezone_writer_commit_duration_seconds_sum"), 0)

    def test_rfc2136_updates(self):
        if not shutil.which("nsupdate"):
            self.skipTest("nsupdate is not installed")
        before = self.scrape()
        name = h.fqdn(h.unique_label("u"))
        script = f"server {h.HOST} {self.port}\nzone {h.ZONE}\nupdate add {name} 60 TXT \"v\"\nsend\n"
        proc = subprocess.run(["nsupdate", "-t", "5", "-y", f"hmac-sha256:zone-key:{SECRET}"], input=script,
                              capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(h.query(self.port, name, h.TXT).txt_values(), ["v"])
        forged = signed_update(self.port, h.fqdn(h.unique_label("f")), forge=True)
        self.assertEqual(forged.rcode_text, "NOTAUTH")
        crafted = signed_update(self.port, h.fqdn(h.unique_label("c")))
        self.assertEqual(crafted.rcode_text, "NOERROR")
        unsigned = h.exchange(self.port, h.header(0x77, opcode=5, qd=1, ns=0) + h.encode_name(h.ZONE)
                              + struct.pack("!HH", h.SOA, h.IN), "udp")
        self.assertEqual(unsigned.rcode_text, "REFUSED")
        after = self.scrape()
        door = lambda outcome: ("acmezone_updates_total", (("front_door", "rfc2136"), ("outcome", outcome)))  # noqa: E731
        self.assert_deltas(before, after, {
            door("ok"): 2,
            door("notauth"): 1,
            door("refused"): 1,
            door("formerr"): 0,
            ("acmezone_auth_failures_total", (("front_door", "rfc2136"),)): 1,
            ("acmezone_writer_change_sets_total", (("outcome", "ok"),)): 2,
            ("acmezone_writer_change_sets_total", (("outcome", "failed"),)): 0,
        })


class MetricsAllow(unittest.TestCase):
    def test_outside_metrics_allow_is_403_and_inside_is_200(self):
        api_port = h.free_port()
        overrides = {"api": {"listen": [f"127.0.0.1:{api_port}"], "metrics_allow": ["10.0.0.0/8"]}}
        with h.start_server(overrides):
            status, ctype, body = http("GET", f"http://127.0.0.1:{api_port}/metrics")
            self.assertEqual((status, ctype, body), (403, "application/json", '{"error": "source_not_allowed"}'))
            status, _, _ = http("GET", f"http://127.0.0.1:{api_port}/ready")
            self.assertEqual(status, 200)
        api_port = h.free_port()
        overrides = {"api": {"listen": [f"127.0.0.1:{api_port}"], "metrics_allow": ["127.0.0.0/8"]}}
        with h.start_server(overrides):
            status, _, body = http("GET", f"http://127.0.0.1:{api_port}/metrics")
            self.assertEqual(status, 200)
            parse_exposition(body)
        api_port = h.free_port()
        with h.start_server({"api": {"listen": [f"127.0.0.1:{api_port}"], "metrics": False}}):
            status, _, body = http("GET", f"http://127.0.0.1:{api_port}/metrics")
            self.assertEqual((status, body), (404, '{"error": "not_found"}'))


if __name__ == "__main__":
    h.main()
