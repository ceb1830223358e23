#!/usr/bin/env python3
"""Hostile HTTP against the real binary's REST API, over raw sockets: request-smuggling shapes
(Content-Length with Transfer-Encoding, two lengths, codings other than chunked, bad chunk
sizes, chunked bodies over api.max_body_bytes, a body on GET), malformed heads (a line without a
colon, NUL and CR in values, whitespace before the colon, a request line over 8 KiB, versions
other than HTTP/1.x, absolute-form and asterisk-form targets, no or two Host fields), content
codings, invalid UTF-8, lone surrogates and deep nesting in JSON bodies, content types on the
acme-dns routes (ignored, as acme-dns does) and on the admin API (JSON only), and a few thousand
random and mutated requests.

Every case checks the status, the JSON error code, whether the connection is closed (it must
be wherever the request's framing cannot be trusted: RFC 9112 §6.1, §6.3), and that the server
still answers /health afterwards; the log must show no request that failed with an exception.

The random seed is printed; rerun with ACMEZONE_FUZZ_SEED=<seed> to reproduce a failure.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import random
import re
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import zlib

import harness as h

SEED = int(os.environ.get("ACMEZONE_FUZZ_SEED", str(random.SystemRandom().randrange(2**32))))
print(f"http_hostile_test: seed {SEED} (set ACMEZONE_FUZZ_SEED={SEED} to reproduce)", flush=True)
RANDOM_REQUESTS = int(os.environ.get("ACMEZONE_FUZZ_REQUESTS", "3000"))

MAX_BODY = 65536          # api.max_body_bytes (the default)
MAX_HEADER = 8192         # api.max_header_bytes (the default)
READ_TIMEOUT_MS = 2000    # api.read_timeout_ms: how long an unfinished request is waited for
CLOSE_WAIT = 3.0          # seconds a closing connection may take to close after its reply
FFFD = "\ufffd"

# The JSON code that goes with each status the HTTP layer answers on its own.
HTTP_LAYER_CODES = {400: "bad_request", 413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type",
                    431: "headers_too_large", 503: "unavailable"}


@dataclasses.dataclass
class Reply:
    status: int
    reason: str
    headers: dict          # lower-case name -> last value
    body: bytes
    closed: bool           # the server closed the connection after this reply
    rest: bytes            # bytes that followed the reply (a reply to a smuggled request)

    def json(self):
        return json.loads(self.body)

    @property
    def code(self):
        try:
            return self.json().get("error")
        except (ValueError, AttributeError):
            return None


def parse_reply(data: bytes, head_request: bool = False) -> tuple[Reply | None, int]:
    """The first complete response in data (1xx skipped) and the bytes it used; (None, 0) when
    data does not hold one yet. Raises ValueError on anything that is not HTTP/1.1."""
    offset = 0
    while True:
        end = data.find(b"\r\n\r\n", offset)
        if end < 0:
            return None, 0
        lines = data[offset:end].decode("latin-1").split("\r\n")
        m = re.fullmatch(r"HTTP/1\.1 (\d{3}) (.*)", lines[0])
        if not m:
            raise ValueError(f"not an HTTP/1.1 status line: {lines[0]!r}")
        status = int(m.group(1))
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"malformed response header line {line!r}")
            headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200:
            offset = end + 4
            continue
        length = 0 if head_request else int(headers.get("content-length", "0"))
        if "transfer-encoding" in headers:
            raise ValueError("the server never sends chunked replies")
        if len(data) < end + 4 + length:
            return None, 0
        body = data[end + 4:end + 4 + length]
        return Reply(status, m.group(2), headers, body, False, b""), end + 4 + length


def exchange_on(sock: socket.socket, data: bytes, *, head_request: bool = False, timeout: float = 5.0,
                close_wait: float = CLOSE_WAIT) -> Reply | None:
    """Sends data, reads one reply, then waits up to close_wait for the server to close (a
    closing server does so right after its reply; a keep-alive one stays silent)."""
    if data:
        sock.sendall(data)
    buf = b""
    deadline = time.monotonic() + timeout
    reply = None
    while reply is None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return None
        except (ConnectionResetError, ssl.SSLError):
            chunk = b""
        if not chunk:
            reply, used = parse_reply(buf, head_request)
            if reply is not None:
                reply.closed = True
                reply.rest = buf[used:]
            return reply
        buf += chunk
        reply, used = parse_reply(buf, head_request)
    rest = buf[used:]
    deadline = time.monotonic() + close_wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, ssl.SSLError):
            reply.closed = True
            break
        if not chunk:
            reply.closed = True
            break
        rest += chunk
    reply.rest = rest
    return reply


def connect(port: int) -> socket.socket:
    return socket.create_connection((h.HOST, port), timeout=5)


def send(port: int, data: bytes, **kwargs) -> Reply:
    with connect(port) as sock:
        reply = exchange_on(sock, data, **kwargs)
    if reply is None:
        raise AssertionError(f"no reply to {data[:120]!r}")
    return reply


def request(method: str, path: str, body: bytes | str | None = None, headers: dict | None = None,
            version: str = "HTTP/1.1") -> bytes:
    """A well-formed request (Host and Content-Length added unless given)."""
    if isinstance(body, str):
        body = body.encode()
    out = [f"{method} {path} {version}"]
    hdrs = {"Host": "127.0.0.1"}
    if body is not None:
        hdrs["Content-Length"] = str(len(body))
    hdrs.update(headers or {})
    out += [f"{k}: {v}" for k, v in hdrs.items() if v is not None]
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + (body or b"")


class HostileHttp(unittest.TestCase):
    server: h.Server
    api_port: int
    token: str = ""

    @classmethod
    def setUpClass(cls) -> None:
        p = subprocess.run([h.BINARY, "token", "new", "--name", "ops"], capture_output=True, text=True,
                           timeout=h.SUBPROCESS_TIMEOUT)
        assert p.returncode == 0, p.stderr
        cls.token = re.search(r"^token: (\S+)$", p.stdout, re.M).group(1)
        sha = re.search(r'^sha256 = "([0-9a-f]{64})"$', p.stdout, re.M).group(1)
        cls.api_port = h.free_port()
        import contextlib
        cls._stack = contextlib.ExitStack()
        overrides = {"api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open",
                             "read_timeout_ms": READ_TIMEOUT_MS, "max_connections_per_ip": 64},
                     "limits": {"update_rate": 0, "auth_failures_per_minute": 0}}
        cls.server = cls._stack.enter_context(h.server_files(overrides))
        with open(cls.server.config_path, "a") as f:
            f.write(f'\n[[api.admin_tokens]]\nname = "ops"\nsha256 = "{sha}"\n')
        cls.server.start()
        cls.account = cls.register()

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            log = cls.server.log_path.read_text(errors="replace")
            # The exception handler's line: a request that threw is a bug, whatever it sent.
            assert "event=request_failed" not in log, "a request failed with an exception:\n" + cls.server.log()
            code = cls.server.stop()
            assert code == 0, f"acmezone exited {code} after SIGTERM:\n{cls.server.log()}"
        finally:
            cls._stack.close()

    # -- helpers ---------------------------------------------------------------------------
    @classmethod
    def register(cls, body: bytes | str = b"") -> dict:
        reply = send(cls.api_port, request("POST", "/register", body))
        assert reply.status == 201, (reply.status, reply.body)
        return reply.json()

    def creds(self, account: dict | None = None) -> dict:
        account = account or self.account
        return {"X-Api-User": account["username"], "X-Api-Key": account["password"]}

    def admin(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def assert_healthy(self) -> None:
        """A fresh client still gets 200 from /health, and the process is alive."""
        self.assertTrue(self.server.alive(), "the server died:\n" + self.server.log())
        reply = send(self.api_port, request("GET", "/health"), close_wait=0)
        self.assertEqual(reply.status, 200, reply.body)

    def assert_error(self, reply: Reply, status: int, code: str, *, closed: bool | None = None, what: str = "") -> None:
        self.assertEqual((reply.status, reply.code), (status, code), f"{what}: {reply.body!r}")
        self.assertEqual(reply.headers.get("content-type"), "application/json", what)
        if closed is not None:
            self.assertEqual(reply.closed, closed, f"{what}: connection {'not ' if closed else ''}closed")
        self.assertEqual(reply.rest, b"", f"{what}: more was answered (a smuggled request?)")

    def assert_refused_and_closed(self, data: bytes, status: int, code: str, what: str) -> None:
        self.assert_error(send(self.api_port, data), status, code, closed=True, what=what)
        self.assert_healthy()

    def assert_kept_alive(self, sock: socket.socket) -> None:
        """The same connection answers another request: it was not closed."""
        reply = exchange_on(sock, request("GET", "/health"), close_wait=0)
        self.assertIsNotNone(reply, "no reply on the kept-alive connection")
        self.assertEqual(reply.status, 200)

    # -- framing (request smuggling) ------------------------------------------------------
    def test_smuggling_shapes_are_refused_and_closed(self):
        smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        body = json.dumps({"subdomain": self.account["subdomain"], "txt": h.acme_value(1)}).encode()
        cases = [
            ("CL then TE", b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + smuggled),
            ("TE then CL", b"Transfer-Encoding: chunked\r\nContent-Length: 40\r\n", b"0\r\n\r\n" + smuggled),
            ("two different lengths", b"Content-Length: 2\r\nContent-Length: 60\r\n", b"{}" + smuggled),
            ("length list", b"Content-Length: 2, 2\r\n", b"{}"),
            ("length not a number", b"Content-Length: abc\r\n", body),
            ("signed length", b"Content-Length: +2\r\n", b"{}"),
            # cpp-httplib percent-decodes header values: "%32" would be 2 to it and no body to others.
            ("percent-encoded length", b"Content-Length: %36%30%30%30%30\r\n", b"{}" + smuggled),
            ("TE gzip, chunked", b"Transfer-Encoding: gzip, chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
            ("TE chunked, chunked", b"Transfer-Encoding: chunked, chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n"),
            ("TE identity", b"Transfer-Encoding: identity\r\nContent-Length: 2\r\n", b"{}"),
            ("TE twice", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n"),
        ]
        for what, extra, payload in cases:
            with self.subTest(what):
                data = b"POST /update HTTP/1.1\r\nHost: a\r\n" + extra + b"\r\n" + payload
                self.assert_refused_and_closed(data, 400, "bad_request", what)
        # HTTP/1.0 has no Transfer-Encoding (RFC 9112 §6.1).
        self.assert_refused_and_closed(b"POST /update HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                                       400, "bad_request", "TE in HTTP/1.0")
        # A body on GET would be left in the stream and read as the next request.
        self.assert_refused_and_closed(b"GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(smuggled)
                                       + smuggled, 400, "bad_request", "GET with a body")
        self.assert_refused_and_closed(b"OPTIONS /update HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                                       400, "bad_request", "OPTIONS with a chunked body")

    def test_chunked_bodies(self):
        body = json.dumps({"subdomain": self.account["subdomain"], "txt": h.acme_value(2)}).encode()
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        head = b"POST /update HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-Api-User: %s\r\nX-Api-Key: %s\r\n\r\n" % (
            self.account["username"].encode(), self.account["password"].encode())
        # A well-formed chunked update works, with chunk extensions and keeps the connection.
        with connect(self.api_port) as sock:
            reply = exchange_on(sock, head + chunked, close_wait=0.3)
            self.assertEqual((reply.status, reply.closed), (200, False), reply.body)
            split = b"3;ext=1\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (body[:3], len(body) - 3, body[3:])
            reply = exchange_on(sock, head + split, close_wait=0.3)
            self.assertEqual(reply.status, 200, reply.body)
            self.assert_kept_alive(sock)
        for what, payload in [("size not hex", b"zz\r\nhello\r\n0\r\n\r\n"),
                              ("size without data", b"5\r\n0\r\n\r\n\r\n\r\n\r\n"),
                              ("data longer than its size", b"2\r\n{}xx\r\n0\r\n\r\n")]:
            with self.subTest(what):
                reply = send(self.api_port, head + payload)
                self.assertIn(reply.status, (400, 401), what)  # the HTTP layer (400) or the JSON (401: empty body)
                self.assertEqual(reply.code, HTTP_LAYER_CODES.get(reply.status, "forbidden"), what)
                if reply.status == 400:
                    self.assertTrue(reply.closed, what)
                self.assert_healthy()
        # Over api.max_body_bytes, in many chunks or in one whose size alone says so: 413, closed.
        big = b"".join(b"1000\r\n" + b"a" * 0x1000 + b"\r\n" for _ in range(MAX_BODY // 0x1000 + 2)) + b"0\r\n\r\n"
        self.assert_refused_and_closed(head + big, 413, "payload_too_large", "chunked body over the limit")
        self.assert_refused_and_closed(head + b"ffffffffffffffffff\r\nab\r\n", 413, "payload_too_large", "huge chunk size")

    def test_sizes(self):
        # A declared length over the limit is refused before the body is sent.
        self.assert_refused_and_closed(b"POST /update HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1),
                                       413, "payload_too_large", "length over the limit")
        self.assert_refused_and_closed(b"POST /update HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
                                       413, "payload_too_large", "20-digit length")
        # One under the limit is read and judged (an empty update body: forbidden).
        reply = send(self.api_port, request("POST", "/update", b" " * MAX_BODY, self.creds()), close_wait=0)
        self.assertEqual((reply.status, reply.code), (401, "forbidden"))
        # Header fields: many short ones over api.max_header_bytes (431), one line over the HTTP
        # layer's 8 KiB line limit (400), a request line over 8 KiB (414), a head of 64 KiB (431).
        many = {f"X-Filler-{i}": "a" * 1000 for i in range(10)}
        self.assert_refused_and_closed(request("POST", "/update", "{}", many), 431, "headers_too_large", "many fields")
        self.assert_refused_and_closed(request("GET", "/health", None, {"X-Filler": "a" * 9000}), 400, "bad_request",
                                       "one long line")
        self.assert_refused_and_closed(request("GET", "/" + "a" * 9000), 414, "uri_too_long", "request line over 8 KiB")
        reply = send(self.api_port, request("GET", "/health", None, {f"X-F{i}": "b" * 60 for i in range(1000)}))
        self.assert_error(reply, 431, "headers_too_large", closed=True, what="a 64 KiB head")
        reply = send(self.api_port, b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertIn(reply.status, (414, 431))
        self.assert_error(reply, reply.status, HTTP_LAYER_CODES[reply.status], closed=True, what="a 40 KiB request line")
        self.assert_healthy()

    # -- malformed heads ------------------------------------------------------------------
    def test_malformed_heads(self):
        cases = [
            ("NUL in a value", b"GET /health HTTP/1.1\r\nHost: a\r\nX-A: a\x00b\r\n\r\n"),
            ("NUL in a name", b"GET /health HTTP/1.1\r\nHost: a\r\nX\x00A: b\r\n\r\n"),
            ("percent-encoded CR LF in a value", b"GET /health HTTP/1.1\r\nHost: a\r\nX-A: a%0D%0AX-B: c\r\n\r\n"),
            ("space before the colon", b"POST /update HTTP/1.1\r\nHost: a\r\nContent-Length : 2\r\n\r\n{}"),
            ("folded line with a colon", b"GET /health HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b: c\r\n\r\n"),
            ("no Host", b"GET /health HTTP/1.1\r\n\r\n"),
            ("two Hosts", b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            ("Host with a slash", b"GET /health HTTP/1.1\r\nHost: a/b\r\n\r\n"),
            ("HTTP/2.0", b"GET /health HTTP/2.0\r\nHost: a\r\n\r\n"),
            ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
            ("HTTP/9.9", b"GET /health HTTP/9.9\r\nHost: a\r\n\r\n"),
            ("HTTP/0.9 (no version)", b"GET /health\r\n\r\n"),
            ("XTTP/1.1", b"GET /health XTTP/1.1\r\nHost: a\r\n\r\n"),
            ("lower-case method", b"get /health HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("unknown method", b"BREW /health HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("authority-form", b"GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("asterisk with GET", b"GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("no target", b"GET  HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("multipart body that does not parse",
             request("POST", "/update", b'{"subdomain":"x"}', {"Content-Type": "multipart/form-data; boundary=zz"})),
        ]
        for what, data in cases:
            with self.subTest(what):
                self.assert_refused_and_closed(data, 400, "bad_request", what)
        # A line without a colon, and a folded line without one: cpp-httplib drops the line (so
        # does the connection gate's framing); the rest of the request is answered as usual.
        for what, data in [("line without a colon", b"GET /health HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n"),
                           ("folded line", b"GET /health HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n")]:
            with self.subTest(what), connect(self.api_port) as sock:
                reply = exchange_on(sock, data, close_wait=0.2)
                self.assertEqual((reply.status, reply.closed), (200, False), what)
                self.assert_kept_alive(sock)
        # Bare LF line ends are not HTTP/1.1 framing (RFC 9112 §2.2 only allows accepting them):
        # no reply, and the connection is closed at the read deadline; nothing else suffers.
        with connect(self.api_port) as sock:
            sock.sendall(b"GET /health HTTP/1.1\nHost: a\n\n")
            self.assertTrue(h.wait_closed(sock, READ_TIMEOUT_MS / 1000 + 3), "an LF-only request was never closed")
        self.assert_healthy()

    def test_targets(self):
        # Absolute-form must be accepted (RFC 9112 §3.2.2): routed by its path.
        with connect(self.api_port) as sock:
            reply = exchange_on(sock, request("GET", f"http://127.0.0.1:{self.api_port}/health"), close_wait=0.2)
            self.assertEqual((reply.status, reply.closed), (200, False))
            body = json.dumps({"subdomain": self.account["subdomain"], "txt": h.acme_value(3)})
            reply = exchange_on(sock, request("POST", "HTTP://acme.example/update", body, self.creds()), close_wait=0)
            self.assertEqual(reply.status, 200, reply.body)
            reply = exchange_on(sock, request("GET", "http://acme.example/nothing"), close_wait=0)
            self.assert_error(reply, 404, "not_found")
            reply = exchange_on(sock, request("OPTIONS", "*"), close_wait=0)
            self.assert_error(reply, 404, "not_found")  # no resource is "the server"
            self.assert_kept_alive(sock)
        # HTTP/1.0 without Host is fine, and closes after its reply.
        reply = send(self.api_port, b"GET /health HTTP/1.0\r\n\r\n")
        self.assertEqual((reply.status, reply.closed), (200, True))

    def test_range_is_ignored(self):
        # cpp-httplib would cut every reply to the Range asked for while keeping the status;
        # replies must stay whole JSON (no route serves ranges).
        value = h.acme_value(5)
        body = json.dumps({"subdomain": self.account["subdomain"], "txt": value})
        with connect(self.api_port) as sock:
            for rng in ("bytes=0-1", "bytes=-3", "bytes=0-0,2-3"):
                reply = exchange_on(sock, request("POST", "/update", body, {**self.creds(), "Range": rng}), close_wait=0)
                self.assertEqual((reply.status, reply.body), (200, b'{"txt": "%s"}' % value.encode()), rng)
                reply = exchange_on(sock, request("POST", "/update", "{}", {"Range": rng}), close_wait=0)
                self.assert_error(reply, 401, "forbidden", what=rng)
            self.assert_kept_alive(sock)
        # A Range the HTTP layer cannot parse is refused there (416), still as JSON.
        reply = send(self.api_port, request("GET", "/health", None, {"Range": "bytes=abc"}))
        self.assertEqual((reply.status, reply.code), (416, "bad_request"), reply.body)
        self.assert_healthy()

    def test_content_codings_are_refused(self):
        bomb = gzip.compress(b"\0" * 20_000_000)  # ~20 KB that would decode to 20 MB
        for what, coding, payload in [("gzip bomb", "gzip", bomb), ("deflate", "deflate", zlib.compress(b"{}")),
                                      ("br", "br", b"\x0b\x00\x80{}\x03"), ("unknown", "x-custom", b"{}")]:
            with self.subTest(what):
                data = request("POST", "/update", payload, {**self.creds(), "Content-Encoding": coding})
                self.assert_refused_and_closed(data, 415, "unsupported_media_type", what)
        # "identity" is no coding at all.
        reply = send(self.api_port, request("POST", "/update", "{}", {**self.creds(), "Content-Encoding": "identity"}),
                     close_wait=0)
        self.assert_error(reply, 401, "forbidden")

    # -- JSON bodies ----------------------------------------------------------------------
    def update_raw(self, body: bytes, account: dict | None = None, headers: dict | None = None) -> Reply:
        return send(self.api_port, request("POST", "/update", body, {**self.creds(account), **(headers or {})}), close_wait=0)

    def test_invalid_utf8_bodies(self):
        sub = self.account["subdomain"].encode()
        value = h.acme_value(4).encode()
        # /update reads like Go: a bad byte in txt becomes U+FFFD, which no challenge value holds.
        self.assert_error(self.update_raw(b'{"subdomain":"%s","txt":"%s\xff"}' % (sub, value[:42])), 400, "bad_txt")
        self.assert_error(self.update_raw(b'{"subdomain":"%s","txt":"\\ud800%s"}' % (sub, value[:42])), 400, "bad_txt")
        # In the subdomain it never matches the account's label: forbidden, as acme-dns.
        self.assert_error(self.update_raw(b'{"subdomain":"%s\xc3","txt":"%s"}' % (sub, value)), 401, "forbidden")
        # Outside a string it is a syntax error (the body does not decode: forbidden) - unless it
        # comes after the first JSON value, which is all /update reads (Go's json.Decoder).
        reply = self.update_raw(b'{"subdomain":"%s",\xff"txt":"%s"}' % (sub, value))
        self.assert_error(reply, 401, "forbidden")
        self.assertEqual(self.update_raw(b'{"subdomain":"%s","txt":"%s"}\xff' % (sub, value)).status, 200)
        # Well-formed after all that: the account still works.
        self.assertEqual(self.update_raw(b'{"subdomain":"%s","txt":"%s"}' % (sub, value)).status, 200)
        # /register: a bad byte in an allowfrom entry fails the CIDR rule; outside a string the JSON.
        reply = send(self.api_port, request("POST", "/register", b'{"allowfrom":["10.0.0.0/8\xff"]}'), close_wait=0)
        self.assert_error(reply, 400, "invalid_allowfrom_cidr")
        reply = send(self.api_port, request("POST", "/register", b'{"allowfrom":[]}\xfe'), close_wait=0)
        self.assert_error(reply, 400, "malformed_json_payload")
        reply = send(self.api_port, request("POST", "/register", b'{"note":"caf\xe9","allowfrom":[]}'), close_wait=0)
        self.assertEqual(reply.status, 201, reply.body)  # unknown keys are ignored, bad bytes and all (as Go)
        # The admin API is strict: not UTF-8 is not JSON.
        reply = send(self.api_port, request("POST", "/admin/credentials", b'{"domain":"www.ex\xffample.com"}',
                                            self.admin({"Content-Type": "application/json"})), close_wait=0)
        self.assertEqual((reply.status, reply.code), (400, "malformed_json_payload"), reply.body)

    def test_replies_stay_json_whatever_bytes_come_in(self):
        # Bytes that are not UTF-8 in the path, the query or the audit log must not turn a reply
        # into a 500 (nlohmann refuses to write them); they come back as U+FFFD.
        reply = send(self.api_port, request("GET", "/admin/credentials?name=%FF%FE", None, self.admin()), close_wait=0)
        self.assertEqual((reply.status, reply.code), (400, "invalid_domain"), reply.body)
        self.assertIn(FFFD * 2, reply.json()["message"])
        reply = send(self.api_port, request("GET", "/admin/credentials/%FFuser", None, self.admin()), close_wait=0)
        self.assertEqual((reply.status, reply.code), (404, "credential_not_found"), reply.body)
        self.assertIn(FFFD + "user", reply.json()["message"])
        reply = send(self.api_port, request("GET", "/admin/audit?kind=%FF", None, self.admin()), close_wait=0)
        self.assertEqual((reply.status, reply.code), (400, "invalid_parameter"), reply.body)
        reply = send(self.api_port, request("DELETE", "/admin/labels/%C3%28/txt", None, self.admin()), close_wait=0)
        self.assertLess(reply.status, 500, reply.body)
        self.assertIsNotNone(reply.code)
        # An unauthenticated request with such a path lands in the audit log (and the log) with
        # the bytes escaped: no forged line (CR LF), no terminal escape, nothing JSON cannot carry.
        send(self.api_port, request("POST", "/admin/credentials/%FF%0A%00%1B[2Jx/rotate", None,
                                    {"Authorization": "Bearer no"}), close_wait=0)
        reply = send(self.api_port, request("GET", "/admin/audit?kind=admin_auth_failure&limit=50", None, self.admin()),
                     close_wait=0)
        self.assertEqual(reply.status, 200, reply.body)
        details = [e["detail"] for e in reply.json()["events"]]
        self.assertIn("POST /admin/credentials/%FF%0A%00%1B[2Jx/rotate bad_token", details)
        self.assertIn("path=/admin/credentials/%FF%0A%00%1B[2Jx/rotate outcome=forbidden", self.server.log())
        self.assertNotIn("\x1b", self.server.log())
        # `acmezone audit --json` (the CLI writes the same JSON) reads it too.
        listed = json.loads(self.server.cli("audit", "--json").stdout)
        self.assertIn("POST /admin/credentials/%FF%0A%00%1B[2Jx/rotate bad_token", [e["detail"] for e in listed["events"]])
        reply = send(self.api_port, request("GET", "/admin/check?domain=%FF.example", None, self.admin()), close_wait=0)
        self.assertLess(reply.status, 500, reply.body)
        self.assertIsNotNone(reply.code)

    def test_deeply_nested_json(self):
        deep_arrays = b"[" * 30000 + b"]" * 30000                  # 60 KB, under api.max_body_bytes
        deep_objects = b'{"a":' * 10000 + b"1" + b"}" * 10000      # 60 KB
        for what, body in [("arrays", deep_arrays), ("objects", deep_objects), ("unclosed", b"[" * 60000)]:
            with self.subTest(what):
                reply = send(self.api_port, request("POST", "/register", body), close_wait=0)
                self.assert_error(reply, 400, "malformed_json_payload", what=what)
                # /update: a body that does not decode leaves the subdomain empty: forbidden.
                self.assert_error(self.update_raw(body), 401, "forbidden", what=what)
                reply = send(self.api_port, request("POST", "/admin/credentials", body,
                                                    self.admin({"Content-Type": "application/json"})), close_wait=0)
                self.assert_error(reply, 400, "malformed_json_payload", what=what)
                self.assert_healthy()
        # Nesting a real client never needs, but within the bound, is read as usual.
        ok = b'{"x":' + b"[" * 20 + b"]" * 20 + b',"allowfrom":[]}'
        self.assertEqual(send(self.api_port, request("POST", "/register", ok), close_wait=0).status, 201)

    def test_content_types(self):
        # acme-dns ignores Content-Type: acme.sh posts JSON with curl -d (form type), the certbot
        # hook sends none. Both keep working, and so does any other type.
        sub = self.account["subdomain"]
        for ctype in (None, "application/x-www-form-urlencoded", "text/plain", "application/json; charset=utf-8"):
            with self.subTest(ctype=ctype):
                body = json.dumps({"subdomain": sub, "txt": h.acme_value(hash(ctype) & 0xFFFF)})
                reply = self.update_raw(body.encode(), headers={"Content-Type": ctype})
                self.assertEqual(reply.status, 200, reply.body)
                reply = send(self.api_port, request("POST", "/register", '{"allowfrom":[]}', {"Content-Type": ctype}),
                             close_wait=0)
                self.assertEqual(reply.status, 201, reply.body)
        # The admin API (ours) takes JSON only, and says so (RFC 9110 §15.5.16).
        issue = json.dumps({"domain": f"{h.unique_label('ct')}.example.com", "scheme": "hash"})
        for ctype in (None, "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"):
            with self.subTest(admin_ctype=ctype):
                reply = send(self.api_port, request("POST", "/admin/credentials", issue, self.admin({"Content-Type": ctype})),
                             close_wait=0)
                self.assertIn(reply.status, (415, 400), reply.body)  # multipart: the HTTP layer may refuse first
                if reply.status == 415:
                    self.assert_error(reply, 415, "unsupported_media_type")
                    self.assertEqual(reply.headers.get("accept"), "application/json")
        reply = send(self.api_port, request("POST", "/admin/credentials", issue,
                                            self.admin({"Content-Type": "Application/JSON; charset=UTF-8"})), close_wait=0)
        self.assertEqual(reply.status, 201, reply.body)
        username = reply.json()["username"]
        # No body needs no type: rotate, disable, enable as `curl -X POST` sends them.
        for op in ("rotate", "disable", "enable"):
            reply = send(self.api_port, request("POST", f"/admin/credentials/{username}/{op}", None, self.admin()),
                         close_wait=0)
            self.assertEqual(reply.status, 200, (op, reply.body))
        # A bad token still hears 401 first, whatever the type.
        reply = send(self.api_port, request("POST", "/admin/credentials", issue, {"Authorization": "Bearer x",
                                                                                    "Content-Type": "text/plain"}),
                     close_wait=0)
        self.assert_error(reply, 401, "forbidden")

    def test_keep_alive_survives_ordinary_errors(self):
        # Errors from a fully read request (401, 400 bad_txt, 404, 405) keep the connection.
        with connect(self.api_port) as sock:
            for data, status in [(request("POST", "/update", "{}"), 401),
                                 (request("POST", "/update", json.dumps({"subdomain": self.account["subdomain"],
                                                                         "txt": "short"}), self.creds()), 400),
                                 (request("GET", "/nothing"), 404), (request("GET", "/register"), 405)]:
                reply = exchange_on(sock, data, close_wait=0.2)
                self.assertEqual((reply.status, reply.closed), (status, False), reply.body)
            self.assert_kept_alive(sock)

    # -- random and mutated requests --------------------------------------------------------
    NASTY_LINES = [b"Content-Length: 0", b"Content-Length: 5", b"Content-Length: -1", b"Content-Length: 99999999",
                   b"Content-Length: 1, 1", b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip",
                   b"Transfer-Encoding: chunked, identity", b"Content-Encoding: gzip", b"Content-Encoding: br",
                   b"Expect: 100-continue", b"Connection: close", b"Connection: keep-alive", b"Host: evil",
                   b"X-A: \x00", b"X-A: \xff\xfe", b"NoColon", b" folded: line", b"X-A : b", b"Content-Type: text/plain",
                   b"Content-Type: multipart/form-data; boundary=a", b"Content-Type: application/x-www-form-urlencoded",
                   b"X-Api-User: 00000000-0000-4000-8000-000000000000", b"X-Api-Key: " + b"A" * 40,
                   b"Authorization: Bearer x", b"Range: bytes=0-1", b"X-Forwarded-For: 10.0.0.1, ::1",
                   b"Content-Length: %32", b"Transfer-Encoding: %63hunked", b"X-Long: " + b"q" * 9000]
    NASTY_BODIES = [b"", b"{}", b"[" * 5000, b'{"subdomain":"\xff","txt":"\\ud800"}', b'{"allowfrom":["\xc3"]}',
                    b"0\r\n\r\n", b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\n", b"\x00" * 64, b'{"a":' * 500,
                    b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n", b'{"domain":"x.example","scheme":"uuid"}']

    def base_requests(self) -> list[bytes]:
        upd = json.dumps({"subdomain": self.account["subdomain"], "txt": h.acme_value(9)})
        return [request("GET", "/health"), request("POST", "/update", upd, self.creds()),
                request("POST", "/register", '{"allowfrom":["127.0.0.0/8"]}'), request("POST", "/register"),
                request("GET", "/admin/credentials?name=x.example", None, self.admin()),
                request("POST", "/admin/credentials", '{"domain":"r.example"}', self.admin({"Content-Type": "application/json"})),
                request("GET", "/admin/audit?limit=2", None, self.admin()), request("HEAD", "/health"),
                request("OPTIONS", "/update"), request("DELETE", "/admin/labels/x/txt", None, self.admin())]

    def mutate(self, rng: random.Random, data: bytes) -> bytes:
        head, sep, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        for _ in range(rng.randint(1, 4)):
            choice = rng.randrange(9)
            if choice == 0 and len(lines) > 1:
                lines.insert(rng.randrange(1, len(lines) + 1), rng.choice(self.NASTY_LINES))
            elif choice == 1 and len(lines) > 1:
                del lines[rng.randrange(1, len(lines))]
            elif choice == 2:
                body = rng.choice(self.NASTY_BODIES)
            elif choice == 3:
                method, _, rest = lines[0].partition(b" ")
                lines[0] = rng.choice([b"GET", b"POST", b"HEAD", b"PUT", b"PATCH", b"DELETE", b"OPTIONS", b"TRACE",
                                       b"CONNECT", b"PRI", b"get", b"", b"X" * 300]) + b" " + rest
            elif choice == 4:
                parts = lines[0].split(b" ")
                parts[-1] = rng.choice([b"HTTP/1.0", b"HTTP/1.1", b"HTTP/2.0", b"HTTP/1.1 extra", b"", b"HTTP/1.10",
                                        b"http/1.1"])
                lines[0] = b" ".join(parts)
            elif choice == 5:
                parts = lines[0].split(b" ")
                if len(parts) >= 2:
                    parts[1] = rng.choice([b"*", b"http://h/update", b"/%00", b"/%ff%fe", b"/../../etc/passwd",
                                           b"/update?" + b"a=b&" * 50, b"//register//", b"/" + b"x" * 9000, b"",
                                           b"/admin/credentials/%0d%0a"])
                    lines[0] = b" ".join(parts)
            elif choice == 6:
                blob = bytearray(sep.join([b"\r\n".join(lines), body]) if sep else data)
                for _ in range(rng.randint(1, 8)):
                    if blob:
                        blob[rng.randrange(len(blob))] = rng.randrange(256)
                return bytes(blob)
            elif choice == 7:
                whole = b"\r\n".join(lines) + b"\r\n\r\n" + body
                return whole[:rng.randrange(len(whole) + 1)]
            else:
                return rng.randbytes(rng.randint(0, 300))
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def check_garbage_reply(self, sent: bytes, raw: bytes, index: int) -> None:
        where = f"request #{index} (seed {SEED}): {sent[:200]!r}"
        offset = 0
        count = 0
        while offset < len(raw):
            try:
                reply, used = parse_reply(raw[offset:], head_request=sent.startswith(b"HEAD "))
            except ValueError as e:
                self.fail(f"{where}: malformed reply: {e}: {raw[offset:offset + 300]!r}")
            if reply is None:
                if count > 0:
                    return  # a HEAD-like reply followed by a partial one: the parse is ambiguous, stop
                self.fail(f"{where}: incomplete reply {raw[offset:offset + 300]!r}")
            # 500 means an exception or a store failure: never for bad input. 503 is the per-IP cap.
            self.assertTrue(reply.status < 500 or reply.status == 503, f"{where}: status {reply.status} {reply.body!r}")
            if reply.status >= 400 and reply.body:
                self.assertEqual(reply.headers.get("content-type"), "application/json", where)
                self.assertIsInstance(reply.code, str, f"{where}: {reply.body!r}")
            offset += used
            count += 1

    def test_zz_random_and_mutated_requests(self):
        rng = random.Random(SEED)
        bases = self.base_requests()
        started = time.monotonic()
        statuses: dict = {}
        for i in range(RANDOM_REQUESTS):
            data = self.mutate(rng, rng.choice(bases)) if rng.random() < 0.9 else rng.randbytes(rng.randint(1, 2000))
            with connect(self.api_port) as sock:
                try:
                    sock.sendall(data)
                    sock.shutdown(socket.SHUT_WR)  # EOF ends what the server may wait for
                except OSError:
                    pass  # the server may close first (e.g. after 431); what it sent still counts
                raw = b""
                deadline = time.monotonic() + READ_TIMEOUT_MS / 1000 + 5
                while True:
                    left = deadline - time.monotonic()
                    self.assertGreater(left, 0, f"request #{i} (seed {SEED}): the connection was never closed: {data[:200]!r}")
                    sock.settimeout(left)
                    try:
                        chunk = sock.recv(65536)
                    except ConnectionResetError:
                        break
                    if not chunk:
                        break
                    raw += chunk
            if raw:
                self.check_garbage_reply(data, raw, i)
                status = raw[9:12].decode("latin-1", "replace")
                statuses[status] = statuses.get(status, 0) + 1
            else:
                statuses["none"] = statuses.get("none", 0) + 1
            if i % 250 == 249:
                self.assert_healthy()
        self.assert_healthy()
        print(f"\nhttp_hostile: {RANDOM_REQUESTS} random/mutated requests in {time.monotonic() - started:.1f} s, "
              f"replies by status {dict(sorted(statuses.items()))} (none: the request was still incomplete when the "
              f"client closed) (seed {SEED})", flush=True)


class HostileHttps(unittest.TestCase):
    """The framing rules over TLS (api.tls = "cert"), where the connection loop is another one."""

    @classmethod
    def setUpClass(cls) -> None:
        import contextlib
        cls._stack = contextlib.ExitStack()
        folder = cls._stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-tls-"))
        cert, key = f"{folder}/api.pem", f"{folder}/api.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=h.SUBPROCESS_TIMEOUT)
        cls.api_port = h.free_port()
        overrides = {"api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open", "tls": "cert",
                             "tls_cert": cert, "tls_key": key, "read_timeout_ms": READ_TIMEOUT_MS}}
        cls.server = cls._stack.enter_context(h.start_server(overrides))
        cls.context = ssl.create_default_context(cafile=cert)

    @classmethod
    def tearDownClass(cls) -> None:
        cls._stack.close()  # stops the server (exit 0 checked) and removes the certificate

    def tls_send(self, data: bytes, close_wait: float = CLOSE_WAIT) -> Reply:
        with socket.create_connection((h.HOST, self.api_port), timeout=5) as raw:
            with self.context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                reply = exchange_on(sock, data, close_wait=close_wait)
        self.assertIsNotNone(reply, data[:100])
        return reply

    def test_framing_over_tls(self):
        reply = self.tls_send(b"POST /update HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
        self.assertEqual((reply.status, reply.code, reply.closed, reply.rest), (400, "bad_request", True, b""))
        big = b"".join(b"1000\r\n" + b"a" * 0x1000 + b"\r\n" for _ in range(MAX_BODY // 0x1000 + 2)) + b"0\r\n\r\n"
        reply = self.tls_send(b"POST /register HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + big)
        self.assertEqual((reply.status, reply.code, reply.closed), (413, "payload_too_large", True))
        reply = self.tls_send(request("POST", "/update", b"{}", {"Content-Encoding": "gzip"}))
        self.assertEqual((reply.status, reply.code, reply.closed), (415, "unsupported_media_type", True))
        reply = self.tls_send(request("GET", "/health", "x" * 10))
        self.assertEqual((reply.status, reply.code, reply.closed), (400, "bad_request", True))
        # Ordinary errors keep the connection; /health answers.
        with socket.create_connection((h.HOST, self.api_port), timeout=5) as raw:
            with self.context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                reply = exchange_on(sock, request("POST", "/update", "{}"), close_wait=0.3)
                self.assertEqual((reply.status, reply.closed), (401, False))
                reply = exchange_on(sock, request("GET", "/health"), close_wait=0)
                self.assertEqual(reply.status, 200)
        self.assertTrue(self.server.alive())


if __name__ == "__main__":
    h.main()
