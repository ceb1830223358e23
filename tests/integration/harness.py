"""Shared helpers for acmezone's integration tests.

The tests start the real `acmezone` binary on a free loopback port with a config written into a
temporary folder, then talk to it with real clients (dig, kdig) and with raw sockets (a tiny DNS
encoder/decoder below) for byte-exact and hostile checks. Standard library only.

Rules kept here so every test follows them: free ports are checked for UDP and TCP at once,
readiness is polled with a deadline (no fixed sleeps), every subprocess and socket operation has
a timeout, and the server must exit 0 on SIGTERM (kill -9 and fail otherwise).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Iterator

ZONE = "acme.example.test"
HOST = "127.0.0.1"
VERSION = "0.1.0"

# RR types and classes used by the tests.
A, NS, CNAME, SOA, HINFO, TXT, AAAA, OPT, TSIG, AXFR, ANY, CAA = 1, 2, 5, 6, 13, 16, 28, 41, 250, 252, 255, 257
IN, CH = 1, 3

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          9: "NOTAUTH", 16: "BADVERS"}

# Defaults that the tests' expectations are derived from (see default_config()).
SOA_TTL, SOA_MINIMUM = 30, 10
NEGATIVE_TTL = min(SOA_TTL, SOA_MINIMUM)  # RFC 2308 §5
NS_TTL, TXT_TTL = 3600, 1
NAMESERVERS = ("ns1.example.net.", "ns2.example.net.")
HOSTMASTER = "hostmaster.example.net."
STATIC_RECORDS = ("Mixed A 127.0.0.2", '@ CAA 0 issue "LetsEncrypt.org"')

SUBPROCESS_TIMEOUT = 20  # seconds for any one dig/kdig/CLI call


def parse_args() -> argparse.Namespace:
    """Every test program takes --binary; the rest of argv goes to unittest."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="path to the acmezone executable")
    args, rest = parser.parse_known_args()
    if not os.access(args.binary, os.X_OK):
        parser.error(f"not an executable: {args.binary}")
    sys.argv = [sys.argv[0], *rest]
    return args


BINARY: str = ""


def main() -> None:
    """Entry point for test programs: parse --binary, then run unittest verbosely."""
    global BINARY
    BINARY = parse_args().binary
    unittest.main(verbosity=2)


# ---------------------------------------------------------------------------------------------
# Ports

def port_is_free(port: int, host: str = HOST) -> bool:
    """True when both UDP and TCP port `port` can be bound on host right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks = []
    try:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(family, kind)
            socks.append(s)
            s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_port(attempts: int = 50) -> int:
    """A port number free for both UDP and TCP on 127.0.0.1 (asks the kernel via port 0)."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = udp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                    tcp.bind((HOST, port))
                    return port
            except OSError:
                continue
    raise RuntimeError("no port free for both UDP and TCP")


# ---------------------------------------------------------------------------------------------
# Config

def default_config(tmp: Path, port: int) -> dict:
    return {
        "zone": {
            "name": ZONE,
            "nameservers": list(NAMESERVERS),
            "hostmaster": HOSTMASTER,
            "records": list(STATIC_RECORDS),
            "default_ttl": 3600,
            "ns_ttl": NS_TTL,
            "txt_ttl": TXT_TTL,
            "max_txt_per_name": 8,
            "soa": {"ttl": SOA_TTL, "refresh": 300, "retry": 60, "expire": 1209600, "minimum": SOA_MINIMUM},
        },
        "dns": {
            "listen": [f"{HOST}:{port}"],
            "udp_workers": 2,
            "tcp_idle_timeout_ms": 10000,
            "tcp_read_timeout_ms": 5000,
            "tcp_max_connections": 1024,
            "tcp_max_connections_per_ip": 64,
        },
        "store": {"path": str(tmp / "data"), "map_size_mb": 64},
        "log": {"level": "info", "format": "text"},
    }


def merge(base: dict, overrides: dict | None) -> dict:
    """Deep-merges overrides into base; a value of None removes the key."""
    for key, value in (overrides or {}).items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(config: dict) -> str:
    """Writes a nested dict as TOML: scalars of a table first, then its sub-tables."""
    lines: list[str] = []

    def table(name: str, body: dict) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict)}
        if name:
            lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
        lines.append("")
        for k, v in body.items():
            if isinstance(v, dict):
                table(f"{name}.{k}" if name else k, v)

    table("", config)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# DNS wire encoding

def encode_name(name: str) -> bytes:
    """Presentation name (no escapes) to uncompressed wire form, case kept."""
    name = name.rstrip(".")
    if not name:
        return b"\x00"
    out = bytearray()
    for label in name.split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) <= 63:
            raise ValueError(f"bad label in {name!r}")
        out += bytes([len(raw)]) + raw
    return bytes(out) + b"\x00"


def header(qid: int, *, qr=0, opcode=0, aa=0, tc=0, rd=0, ra=0, z=0, ad=0, cd=0, rcode=0,
           qd=1, an=0, ns=0, ar=0) -> bytes:
    flags = (qr << 15) | (opcode << 11) | (aa << 10) | (tc << 9) | (rd << 8) | (ra << 7) | (z << 6) \
        | (ad << 5) | (cd << 4) | rcode
    return struct.pack("!6H", qid, flags, qd, an, ns, ar)


def question(name: str, qtype: int, qclass: int = IN) -> bytes:
    return encode_name(name) + struct.pack("!HH", qtype, qclass)


@dataclasses.dataclass
class Edns:
    payload: int = 1232
    version: int = 0
    do: bool = False
    ext_rcode: int = 0
    extra_flags: int = 0  # other bits of the 16-bit EDNS flags field (unknown ones, RFC 6891 §6.1.4)
    options: tuple = ()   # (code, bytes) pairs


def opt_rr(edns: Edns, *, owner: bytes = b"\x00", rdlength: int | None = None) -> bytes:
    """An OPT pseudo-RR (RFC 6891 §6.1.2); owner and rdlength may be forged for hostile tests."""
    rdata = b"".join(struct.pack("!HH", code, len(data)) + data for code, data in edns.options)
    flags = (0x8000 if edns.do else 0) | edns.extra_flags
    ttl = (edns.ext_rcode << 24) | (edns.version << 16) | flags
    return owner + struct.pack("!HHIH", OPT, edns.payload, ttl,
                               len(rdata) if rdlength is None else rdlength) + rdata


def make_query(name: str, qtype: int, *, qid: int | None = None, qclass: int = IN, rd: bool = False,
               cd: bool = False, opcode: int = 0, edns: Edns | None = None) -> bytes:
    qid = random.randrange(65536) if qid is None else qid
    msg = header(qid, opcode=opcode, rd=int(rd), cd=int(cd), ar=1 if edns else 0) + question(name, qtype, qclass)
    return msg + (opt_rr(edns) if edns else b"")


# ---------------------------------------------------------------------------------------------
# DNS wire decoding (strict: raises ValueError on anything malformed)

def read_name(msg: bytes, off: int) -> tuple[str, int]:
    """Reads a possibly compressed name; returns (text with trailing dot, offset after it)."""
    labels: list[str] = []
    end = None
    jumps = 0
    total = 1
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        length = msg[off]
        if length & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ValueError("truncated pointer")
            target = ((length & 0x3F) << 8) | msg[off + 1]
            if end is None:
                end = off + 2
            if target >= off:
                raise ValueError("forward compression pointer")
            jumps += 1
            if jumps > 127:
                raise ValueError("compression loop")
            off = target
            continue
        if length & 0xC0:
            raise ValueError("reserved label type")
        off += 1
        if length == 0:
            break
        if off + length > len(msg):
            raise ValueError("label runs past the message")
        labels.append(msg[off:off + length].decode("latin-1"))
        total += length + 1
        off += length
    if total > 255:
        raise ValueError("name longer than 255 octets")
    return (".".join(labels) + "."), (off if end is None else end)


@dataclasses.dataclass
class RR:
    name: str
    type: int
    cls: int
    ttl: int
    rdata: bytes
    data: object = None  # decoded: A text, NS/CNAME name, SOA tuple, TXT list of bytes, CAA tuple


@dataclasses.dataclass
class OptInfo:
    owner: str
    payload: int
    ext_rcode: int
    version: int
    do: bool
    flags: int
    options: list  # (code, bytes)


@dataclasses.dataclass
class Message:
    raw: bytes
    id: int
    qr: int
    opcode: int
    aa: int
    tc: int
    rd: int
    ra: int
    z: int
    ad: int
    cd: int
    rcode: int  # header RCODE only
    counts: tuple
    question_bytes: bytes
    questions: list
    answer: list
    authority: list
    additional: list
    opt: OptInfo | None
    opt_count: int

    @property
    def full_rcode(self) -> int:
        """Extended RCODE (RFC 6891 §6.1.3)."""
        return ((self.opt.ext_rcode << 4) if self.opt else 0) | self.rcode

    @property
    def rcode_text(self) -> str:
        return RCODES.get(self.full_rcode, str(self.full_rcode))

    def rrs(self, section: str, rtype: int | None = None) -> list:
        return [rr for rr in getattr(self, section) if rtype is None or rr.type == rtype]

    def txt_values(self) -> list:
        """Each TXT RR's value: its character-strings joined (as a str)."""
        return [b"".join(rr.data).decode("latin-1") for rr in self.answer if rr.type == TXT]


def _decode_rdata(msg: bytes, rtype: int, off: int, rdlen: int):
    rdata = msg[off:off + rdlen]
    if rtype == A and rdlen == 4:
        return socket.inet_ntoa(rdata)
    if rtype in (NS, CNAME):
        return read_name(msg, off)[0]
    if rtype == SOA:
        mname, p = read_name(msg, off)
        rname, p = read_name(msg, p)
        return (mname, rname, *struct.unpack("!5I", msg[p:p + 20]))
    if rtype == TXT:
        strings, p = [], 0
        while p < len(rdata):
            n = rdata[p]
            if p + 1 + n > len(rdata):
                raise ValueError("TXT character-string runs past RDATA")
            strings.append(rdata[p + 1:p + 1 + n])
            p += 1 + n
        return strings
    if rtype == CAA and rdlen >= 2:
        taglen = rdata[1]
        return (rdata[0], rdata[2:2 + taglen].decode("latin-1"), rdata[2 + taglen:].decode("latin-1"))
    return None


def parse_message(msg: bytes) -> Message:
    if len(msg) < 12:
        raise ValueError("message shorter than a header")
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    off = 12
    questions = []
    for _ in range(qd):
        name, p = read_name(msg, off)
        if p + 4 > len(msg):
            raise ValueError("truncated question")
        qtype, qclass = struct.unpack("!HH", msg[p:p + 4])
        questions.append((name, qtype, qclass))
        off = p + 4
    question_bytes = msg[12:off]
    sections = []
    opt = None
    opt_count = 0
    for count in (an, ns, ar):
        rrs = []
        for _ in range(count):
            name, p = read_name(msg, off)
            if p + 10 > len(msg):
                raise ValueError("truncated RR header")
            rtype, cls, ttl, rdlen = struct.unpack("!HHIH", msg[p:p + 10])
            p += 10
            if p + rdlen > len(msg):
                raise ValueError("RDATA runs past the message")
            rr = RR(name, rtype, cls, ttl, msg[p:p + rdlen], _decode_rdata(msg, rtype, p, rdlen))
            if rtype == OPT:
                opt_count += 1
                options, q = [], 0
                while q + 4 <= rdlen:
                    code, olen = struct.unpack("!HH", rr.rdata[q:q + 4])
                    options.append((code, rr.rdata[q + 4:q + 4 + olen]))
                    q += 4 + olen
                if q != rdlen:
                    raise ValueError("malformed OPT RDATA")
                opt = OptInfo(name, cls, ttl >> 24, (ttl >> 16) & 0xFF, bool(ttl & 0x8000), ttl & 0xFFFF, options)
            rrs.append(rr)
            off = p + rdlen
        sections.append(rrs)
    if off != len(msg):
        raise ValueError(f"{len(msg) - off} trailing bytes after the last RR")
    return Message(msg, qid, flags >> 15, (flags >> 11) & 0xF, (flags >> 10) & 1, (flags >> 9) & 1,
                   (flags >> 8) & 1, (flags >> 7) & 1, (flags >> 6) & 1, (flags >> 5) & 1, (flags >> 4) & 1,
                   flags & 0xF, (qd, an, ns, ar), question_bytes, questions, sections[0], sections[1],
                   [rr for rr in sections[2] if rr.type != OPT], opt, opt_count)


# ---------------------------------------------------------------------------------------------
# Raw transports

def udp_exchange(port: int, packet: bytes, timeout: float = 2.0) -> bytes | None:
    """Sends one datagram; returns the reply, or None when nothing arrives within timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((HOST, port))
        s.send(packet)
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def recv_exact(sock: socket.socket, n: int, deadline: float) -> bytes | None:
    """Reads exactly n bytes before deadline; None on EOF; raises socket.timeout when late."""
    buf = bytearray()
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline passed")
        sock.settimeout(left)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def frame(packet: bytes) -> bytes:
    """RFC 1035 §4.2.2 / RFC 7766 §8: two-octet length prefix."""
    return struct.pack("!H", len(packet)) + packet


def tcp_read_message(sock: socket.socket, timeout: float = 3.0) -> bytes | None:
    deadline = time.monotonic() + timeout
    prefix = recv_exact(sock, 2, deadline)
    if prefix is None:
        return None
    body = recv_exact(sock, struct.unpack("!H", prefix)[0], deadline)
    if body is None:
        raise ValueError("connection closed inside a message")
    return body


def tcp_connect(port: int, timeout: float = 3.0) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


def tcp_exchange(port: int, packet: bytes, timeout: float = 3.0) -> bytes | None:
    with tcp_connect(port, timeout) as s:
        s.sendall(frame(packet))
        return tcp_read_message(s, timeout)


def exchange(port: int, packet: bytes, transport: str = "udp", timeout: float = 3.0) -> Message:
    """Sends a query over udp or tcp and returns the parsed reply (fails if none)."""
    raw = udp_exchange(port, packet, timeout) if transport == "udp" else tcp_exchange(port, packet, timeout)
    if raw is None:
        raise AssertionError(f"no {transport} reply within {timeout}s")
    return parse_message(raw)


def query(port: int, name: str, qtype: int, transport: str = "udp", **kwargs) -> Message:
    packet = make_query(name, qtype, **kwargs)
    reply = exchange(port, packet, transport)
    if reply.id != struct.unpack("!H", packet[:2])[0]:
        raise AssertionError(f"reply ID {reply.id} does not match the query")
    return reply


def wait_closed(sock: socket.socket, timeout: float) -> bool:
    """True when the peer closes (EOF or reset) within timeout; data received is discarded."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True


# ---------------------------------------------------------------------------------------------
# Real clients: dig and kdig

@dataclasses.dataclass
class ClientResult:
    """What dig or kdig printed, parsed into the parts the tests look at."""
    stdout: str
    returncode: int
    status: str | None = None
    flags: set = dataclasses.field(default_factory=set)
    edns: str | None = None          # the EDNS line (version, flags, udp size), None without OPT
    edns_lines: list = dataclasses.field(default_factory=list)  # every OPT pseudo-section line
    sections: dict = dataclasses.field(default_factory=dict)    # ANSWER/AUTHORITY/ADDITIONAL -> rows

    def rows(self, section: str = "ANSWER", rtype: str | None = None) -> list:
        return [r for r in self.sections.get(section, []) if rtype is None or r[3] == rtype]

    @property
    def edns_flags(self) -> set:
        m = re.search(r"flags:\s*([a-z ]*)[;,]", self.edns or "")
        return set(m.group(1).split()) if m else set()

    @property
    def edns_udp(self) -> int | None:
        m = re.search(r"(?:udp:|UDP size:)\s*(\d+)", self.edns or "")
        return int(m.group(1)) if m else None

    @property
    def edns_version(self) -> int | None:
        m = re.search(r"[Vv]ersion:\s*(\d+)", self.edns or "")
        return int(m.group(1)) if m else None


def parse_client_output(stdout: str, returncode: int) -> ClientResult:
    """Parses dig's and kdig's default output (both print the same section headings)."""
    result = ClientResult(stdout, returncode)
    section = None
    for line in stdout.splitlines():
        m = re.search(r"->>HEADER<<-.*status: ([A-Z0-9]+)", line)
        if m:
            result.status = m.group(1)
            continue
        m = re.match(r";; [Ff]lags:([a-z ]*);", line)
        if m:
            result.flags = set(m.group(1).split())
            continue
        m = re.match(r";; (\w+) (?:PSEUDO)?SECTION:", line)
        if m:
            section = m.group(1)
            continue
        if not line.strip():
            continue
        if section in ("OPT", "EDNS"):
            if not line.startswith(";"):
                continue
            text = line.lstrip("; ")
            result.edns_lines.append(text)
            if text.startswith(("EDNS:", "Version:")):
                result.edns = text
            continue
        if section in ("ANSWER", "AUTHORITY", "ADDITIONAL") and not line.startswith(";"):
            parts = line.split(None, 4)
            if len(parts) >= 4:
                owner, ttl, cls, rtype = parts[:4]
                result.sections.setdefault(section, []).append(
                    (owner, int(ttl), cls, rtype, parts[4].strip() if len(parts) > 4 else ""))
            continue
        if line.startswith(";; ") and section in ("ANSWER", "AUTHORITY", "ADDITIONAL", "OPT", "EDNS", "QUESTION"):
            section = None  # statistics trailer
    return result


def run_client(cmd: list) -> ClientResult:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    result = parse_client_output(proc.stdout, proc.returncode)
    if result.status is None:
        raise AssertionError(f"no answer from {' '.join(cmd)} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return result


def dig(port: int, name: str, qtype: str = "SOA", *options: str, tcp: bool = False) -> ClientResult:
    """BIND's dig, one try of 2 s; options such as +norec, +dnssec, +noedns, +edns=1."""
    cmd = ["dig", f"@{HOST}", "-p", str(port), "+time=2", "+tries=1", *(["+tcp"] if tcp else []),
           *options, name, qtype]
    return run_client(cmd)


def kdig(port: int, name: str, qtype: str = "SOA", *options: str, tcp: bool = False) -> ClientResult:
    """Knot's kdig, one try of 2 s."""
    cmd = ["kdig", f"@{HOST}", "-p", str(port), "+time=2", "+retry=0", *(["+tcp"] if tcp else []),
           *options, name, qtype]
    return run_client(cmd)


CLIENTS = {"dig": dig, "kdig": kdig}


# ---------------------------------------------------------------------------------------------
# The server under test

class Server:
    """A running `acmezone serve` plus the CLI bound to the same config."""

    def __init__(self, binary: str, tmp: Path, port: int, config: dict):
        self.binary = binary
        self.tmp = tmp
        self.port = port
        self.config = config
        self.config_path = tmp / "acmezone.toml"
        self.config_path.write_text(to_toml(config))
        self.store_path = Path(config["store"]["path"])
        self.log_path = tmp / "server.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    # -- process ------------------------------------------------------------------------------
    def start(self, ready_timeout: float = 20.0) -> None:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary, "serve", "--config", str(self.config_path)],
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"acmezone exited early with {self.proc.returncode}:\n{self.log()}")
            # Ready means the log says so (every listener bound) and a SOA query is answered.
            if "event=ready" in self.log() and self.answers_soa(timeout=0.2):
                return
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f"acmezone not answering SOA within {ready_timeout}s:\n{self.log()}")

    def answers_soa(self, timeout: float = 1.0, transport: str = "udp") -> bool:
        """True when a SOA query at the apex gets a NOERROR answer holding the SOA."""
        try:
            reply = exchange(self.port, make_query(ZONE, SOA), transport, timeout)
        except (OSError, AssertionError, ValueError):
            return False
        return reply.rcode == 0 and any(rr.type == SOA for rr in reply.answer)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Sends sig and waits; kill -9 and raise when the process does not exit in time."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"acmezone did not exit within {timeout}s of signal {sig}:\n{self.log()}")
        self._close_log()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    # -- CLI ----------------------------------------------------------------------------------
    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Runs `acmezone <args[0]> <args[1]> --config FILE <rest>` (e.g. record add LABEL VALUE)."""
        cmd = [self.binary, *args[:2], "--config", str(self.config_path), *args[2:]]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc

    def record_add(self, label: str, value: str) -> None:
        self.cli("record", "add", label, value)

    def record_del(self, label: str, value: str | None = None) -> None:
        self.cli("record", "del", label, *([value] if value is not None else []))

    def record_list(self) -> list:
        return self.cli("record", "list").stdout.splitlines()


@contextlib.contextmanager
def server_files(overrides: dict | None = None, binary: str | None = None) -> Iterator[Server]:
    """A Server object with its config written to a fresh temporary folder, not started."""
    with tempfile.TemporaryDirectory(prefix="acmezone-it-") as tmpdir:
        tmp = Path(tmpdir)
        port = free_port()
        config = merge(default_config(tmp, port), overrides)
        server = Server(binary or BINARY, tmp, port, config)
        try:
            yield server
        finally:
            server.kill()  # a no-op when the test already stopped it


@contextlib.contextmanager
def start_server(overrides: dict | None = None, binary: str | None = None) -> Iterator[Server]:
    """Starts acmezone with the default config plus overrides; on exit, SIGTERM must give 0."""
    with server_files(overrides, binary) as server:
        server.start()
        try:
            yield server
        except BaseException:
            server.kill()
            sys.stderr.write(f"--- server log ---\n{server.log()}\n")
            raise
        code = server.stop()
        if code != 0:
            raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{server.log()}")


class ServerTestCase(unittest.TestCase):
    """One server per test class: started in setUpClass, stopped (exit 0 checked) afterwards."""

    overrides: dict | None = None
    server: Server

    @classmethod
    def setUpClass(cls) -> None:
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(start_server(cls.overrides))
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls) -> None:
        cls._stack.close()

    def wait_until(self, condition, timeout: float = 5.0, what: str = "condition") -> None:
        """Polls condition() until true or fails the test after timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.02)
        self.fail(f"timed out after {timeout}s waiting for {what}")


def fqdn(label: str) -> str:
    return f"{label}.{ZONE}." if label not in ("", "@") else f"{ZONE}."


def unique_label(prefix: str = "t") -> str:
    return f"{prefix}{random.getrandbits(48):012x}"


def acme_value(seed: int) -> str:
    """A 43-character base64url value like a dns-01 challenge digest."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(43))
