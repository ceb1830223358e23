#!/usr/bin/env python3
"""Connections an attacker holds must not starve anyone else (issue 9). The real binary with
the API on and DNS over TCP; while 1,000 idle TCP connections are held (500 to the DNS TCP
port, 500 to the HTTP port, from 40 source addresses 127.0.0.2..127.0.0.41), dig (UDP and
TCP) and curl (GET /health and an authenticated POST /update) from 127.0.0.1 must each answer
within 1 s, several times over. The same with slowloris connections (one header byte every
0.5 s; each must be closed read_timeout after its request began), with keep-alive connections
that made one request and then idle (closed after the keep-alive timeout), over TLS, past the
per-address cap (503 and close) and past the total cap (the oldest idle connection makes room).

Prints how many connections the server held (its sockets whose peer is an attacker address,
from /proc/PID/fd and /proc/PID/net/tcp) and the worst latency of each client, e.g.
`IdleConnections: held=1000 ... worst curl_health=20ms ...`."""

import contextlib
import json
import os
import resource
import select
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

import harness as h
from api_test import make_cert

SOURCES = [f"127.0.0.{i}" for i in range(2, 42)]  # 40 attacker addresses; the clients use 127.0.0.1
IDLE_PER_PORT = 500
LATENCY_LIMIT = 1.0  # seconds, for each dig and curl call
ROUNDS = 5
CURL_TIMEOUT = 8  # a starved server shows as a latency over the limit, not as a hung test


def raise_fd_limit(need: int) -> None:
    """Raises this process's soft RLIMIT_NOFILE towards the hard limit (the test opens ~1,100 sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(hard, max(need, 4096))
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < need:
        raise unittest.SkipTest(f"RLIMIT_NOFILE hard limit {hard} is below the {need} descriptors this test needs")


def held_connections(pid: int, sources=SOURCES) -> int:
    """TCP connections the server process holds (any state) whose peer is one of `sources`:
    its socket inodes from /proc/PID/fd matched against /proc/PID/net/tcp. The table is read
    twice and matches are counted by inode: a read that races with other connections opening
    and closing may repeat or skip a row."""
    inodes = set()
    for entry in os.scandir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(entry.path)
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    wanted = set(sources)
    held = set()
    for _ in range(2):
        with open(f"/proc/{pid}/net/tcp") as table:
            next(table)  # header
            for line in table:
                fields = line.split()
                peer_hex = fields[2].split(":")[0]  # little-endian IPv4
                if fields[9] in inodes and socket.inet_ntoa(struct.pack("<I", int(peer_hex, 16))) in wanted:
                    held.add(fields[9])
    return len(held)


def connect_from(source: str, port: int, timeout: float = 5.0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((source, 0))
        s.connect((h.HOST, port))
    except BaseException:
        s.close()
        raise
    return s


def open_idle(port: int, count: int, sources=SOURCES) -> list:
    """`count` connections to port spread round-robin over the source addresses, sending nothing."""
    socks = []
    try:
        for i in range(count):
            socks.append(connect_from(sources[i % len(sources)], port))
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the peer has closed (EOF or reset); drains anything it sent first. Never waits."""
    while wait_readable([sock], 0):
        try:
            data = sock.recv(4096)
        except OSError:
            return True
        if not data:
            return True
    return False


def wait_readable(socks: list, timeout: float) -> list:
    """The sockets among socks that are readable (data, EOF or error) within timeout seconds."""
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s.fileno(), select.POLLIN)
        by_fd[s.fileno()] = s
    return [by_fd[fd] for fd, _ in poller.poll(max(0, int(timeout * 1000)))]


def read_http_response(sock: socket.socket, deadline: float) -> tuple:
    """Reads one HTTP/1.1 response with a Content-Length body: (status, headers (lower-case), body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"connection closed before a full response header: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("connection closed inside a response body")
        rest += chunk
    return status, headers, rest[:length], rest[length:]


class Latencies:
    """The worst time each client needed, for the report line."""

    def __init__(self):
        self.worst = {}

    def note(self, name: str, seconds: float) -> None:
        self.worst[name] = max(self.worst.get(name, 0.0), seconds)

    def text(self) -> str:
        return " ".join(f"{name}={seconds * 1000:.0f}ms" for name, seconds in sorted(self.worst.items()))


class GateCase(unittest.TestCase):
    """One server per class with the API on a free loopback port (plain HTTP unless `tls`)."""

    api: dict = {}
    dns: dict = {}
    tls = False

    @classmethod
    def setUpClass(cls) -> None:
        raise_fd_limit(IDLE_PER_PORT * 2 + 256)
        cls.api_port = h.free_port()
        cls._stack = contextlib.ExitStack()
        api = {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open", **cls.api}
        if cls.tls:
            folder = Path(cls._stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-gate-tls-")))
            cls.cert, key = make_cert(folder, "gate", 77)
            api.update({"tls": "cert", "tls_cert": str(cls.cert), "tls_key": str(key)})
        cls.server = cls._stack.enter_context(h.server_files({"api": api, "dns": cls.dns}))
        cls.server.start()
        cls.port = cls.server.port
        cls.pid = cls.server.proc.pid
        cls.base = f"{'https' if cls.tls else 'http'}://127.0.0.1:{cls.api_port}"
        reply = cls.curl_once("/register", "POST")
        if reply[0] != 201:
            raise AssertionError(f"/register answered {reply}")
        cls.account = json.loads(reply[2])

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            code = cls.server.stop(timeout=30)
            if code != 0:
                raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{cls.server.log()}")
        finally:
            cls._stack.close()

    @classmethod
    def curl_once(cls, path: str, method: str = "GET", data: str | None = None, headers: dict | None = None) -> tuple:
        """(status, seconds, body); status 0 when curl gave up."""
        with tempfile.NamedTemporaryFile() as body:
            cmd = ["curl", "-sS", "--max-time", str(CURL_TIMEOUT), "-X", method, "-o", body.name, "-w", "%{http_code}"]
            if cls.tls:
                cmd += ["--cacert", str(cls.cert)]
            for name, value in (headers or {}).items():
                cmd += ["-H", f"{name}: {value}"]
            if data is not None:
                cmd += ["--data-binary", data]
            cmd.append(cls.base + path)
            start = time.monotonic()
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=CURL_TIMEOUT + 5)
            elapsed = time.monotonic() - start
            status = int(p.stdout) if p.stdout.strip().isdigit() else 0
            return status, elapsed, Path(body.name).read_text(errors="replace")

    def timed_dig(self, tcp: bool) -> float:
        start = time.monotonic()
        res = h.dig(self.port, h.ZONE, "SOA", tcp=tcp)
        elapsed = time.monotonic() - start
        self.assertEqual(res.status, "NOERROR")
        return elapsed

    def check_clients(self, latencies: Latencies, rounds: int = ROUNDS) -> None:
        """dig over UDP and TCP, GET /health and an authenticated POST /update, each within 1 s."""
        for i in range(rounds):
            for transport, tcp in (("dig_udp", False), ("dig_tcp", True)):
                elapsed = self.timed_dig(tcp)
                latencies.note(transport, elapsed)
                self.assertLess(elapsed, LATENCY_LIMIT, f"{transport} took {elapsed:.2f}s (round {i})")
            status, elapsed, body = self.curl_once("/health")
            latencies.note("curl_health", elapsed)
            self.assertEqual(status, 200, f"GET /health: {status} after {elapsed:.2f}s {body}")
            self.assertLess(elapsed, LATENCY_LIMIT, f"GET /health took {elapsed:.2f}s (round {i})")
            update = json.dumps({"subdomain": self.account["subdomain"], "txt": h.acme_value(1000 + i)})
            status, elapsed, body = self.curl_once(
                "/update", "POST", update,
                {"X-Api-User": self.account["username"], "X-Api-Key": self.account["password"],
                 "Content-Type": "application/json"})
            latencies.note("curl_update", elapsed)
            self.assertEqual(status, 200, f"POST /update: {status} after {elapsed:.2f}s {body}")
            self.assertLess(elapsed, LATENCY_LIMIT, f"POST /update took {elapsed:.2f}s (round {i})")

    def wait_for(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        self.fail(f"timed out after {timeout}s waiting for {what}")

    def wait_held(self, expected: int, timeout: float) -> None:
        """Waits until the server holds at least `expected` connections from the attacker addresses."""
        deadline = time.monotonic() + timeout
        while (held := held_connections(self.pid)) < expected:
            if time.monotonic() >= deadline:
                self.fail(f"the server holds {held} connections after {timeout}s, expected at least {expected}")
            time.sleep(0.05)

    def report(self, text: str) -> None:
        sys.stderr.write(f"\n  {type(self).__name__}: {text}\n")


class IdleConnections(GateCase):
    # Long timeouts so the idle connections are still held while the clients are measured;
    # the caps leave room for all of them.
    api = {"max_connections": 1024, "read_timeout_ms": 60000, "keepalive_timeout_ms": 60000}
    dns = {"tcp_idle_timeout_ms": 60000, "tcp_max_connections": 1024, "tcp_max_connections_per_ip": 64}

    def test_a_thousand_idle_connections_starve_nobody(self):
        socks = []
        try:
            socks += open_idle(self.port, IDLE_PER_PORT)      # DNS over TCP
            socks += open_idle(self.api_port, IDLE_PER_PORT)  # HTTP
            self.wait_held(2 * IDLE_PER_PORT, 15)
            latencies = Latencies()
            self.check_clients(latencies)
            held = held_connections(self.pid)
            self.assertEqual(held, 2 * IDLE_PER_PORT, "idle connections were dropped while measuring")
            self.assertFalse(any(closed_by_peer(s) for s in socks), "an idle connection was closed early")
            self.report(f"held={held} idle connections (dns_tcp={IDLE_PER_PORT} http={IDLE_PER_PORT}) "
                        f"worst {latencies.text()}")
        finally:
            for s in socks:
                s.close()
        # The server raised its own descriptor limit at start and said so.
        self.assertRegex(self.server.log_path.read_text(errors="replace"), r"event=fd_limit soft=\d+ hard=\d+")


class Slowloris:
    """Connections that each send one more byte of a never-ending request header every 0.5 s,
    from a background thread; records when the server closed each one."""

    REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 4000

    def __init__(self, port: int, count: int, kept_alive: bool = False):
        # The server's clock for a first request starts at accept: note each connect. With
        # kept_alive, each connection first completes one request; the slow one's clock then
        # starts with its first byte (noted when sent).
        self.socks, self.started = [], []
        self.kept_alive = kept_alive
        try:
            for i in range(count):
                s = connect_from(SOURCES[i % len(SOURCES)], port)
                self.socks.append(s)
                self.started.append(time.monotonic())
                if kept_alive:
                    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    status, _, _, extra = read_http_response(s, time.monotonic() + 5)
                    if (status, extra) != (200, b""):
                        raise AssertionError(f"warm-up request answered {status} {extra!r}")
        except BaseException:
            for s in self.socks:
                s.close()
            raise
        self.closed_at: list = [None] * count
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)
        for s in self.socks:
            s.close()

    def open_count(self) -> int:
        return sum(1 for t in self.closed_at if t is None)

    def _run(self) -> None:
        offset = 0
        while not self.stop.is_set() and offset < len(self.REQUEST):
            for i, s in enumerate(self.socks):
                if self.closed_at[i] is not None:
                    continue
                if closed_by_peer(s):
                    self.closed_at[i] = time.monotonic()
                    continue
                try:
                    s.send(self.REQUEST[offset:offset + 1], socket.MSG_DONTWAIT)
                    if offset == 0 and self.kept_alive:
                        self.started[i] = time.monotonic()
                except OSError:
                    self.closed_at[i] = time.monotonic()
            offset += 1
            # Between bytes, notice closes as they happen (the pacing is what is tested).
            deadline = time.monotonic() + 0.5
            while not self.stop.is_set() and time.monotonic() < deadline:
                live = [s for i, s in enumerate(self.socks) if self.closed_at[i] is None]
                if not live:
                    return
                for s in wait_readable(live, max(0.0, deadline - time.monotonic())):
                    i = self.socks.index(s)
                    if closed_by_peer(s):
                        self.closed_at[i] = time.monotonic()


class SlowlorisConnections(GateCase):
    READ_TIMEOUT = 4.0
    KEEPALIVE = 2.0  # shorter than READ_TIMEOUT: a slow request must not be cut at the keep-alive deadline
    api = {"max_connections": 1024, "read_timeout_ms": int(READ_TIMEOUT * 1000), "keepalive_timeout_ms": int(KEEPALIVE * 1000)}
    COUNT = 300  # more than api.threads (64): each one holding a thread would starve the API

    def test_slow_headers_are_cut_at_read_timeout_and_starve_nobody(self):
        with Slowloris(self.api_port, self.COUNT) as slow:
            self.wait_held(self.COUNT, 5)
            latencies = Latencies()
            self.check_clients(latencies, rounds=3)
            # The clients were measured while every slowloris connection was still open.
            self.assertEqual(slow.open_count(), self.COUNT, "a slowloris connection was closed before read_timeout")
            self.wait_for(lambda: slow.open_count() == 0, self.READ_TIMEOUT + 5, "the slowloris connections to be closed")
            lifetimes = [closed - started for closed, started in zip(slow.closed_at, slow.started)]
        self.assertGreaterEqual(min(lifetimes), self.READ_TIMEOUT - 0.3)
        self.assertLessEqual(max(lifetimes), self.READ_TIMEOUT + 1.5)
        self.report(f"held={self.COUNT} slowloris connections, closed after {min(lifetimes):.2f}..{max(lifetimes):.2f}s "
                    f"(read_timeout {self.READ_TIMEOUT}s), worst {latencies.text()}")

    def test_a_slow_request_on_a_kept_alive_connection_is_cut_read_timeout_after_its_first_byte(self):
        with Slowloris(self.api_port, 50, kept_alive=True) as slow:
            self.wait_for(lambda: slow.open_count() == 0, self.READ_TIMEOUT + 5, "the slow requests to be cut")
            lifetimes = [closed - started for closed, started in zip(slow.closed_at, slow.started)]
        self.assertGreaterEqual(min(lifetimes), self.READ_TIMEOUT - 0.3)
        self.assertLessEqual(max(lifetimes), self.READ_TIMEOUT + 1.5)
        self.report(f"slow requests after a kept-alive one closed {min(lifetimes):.2f}..{max(lifetimes):.2f}s after their "
                    f"first byte (read_timeout {self.READ_TIMEOUT}s, keepalive_timeout {self.KEEPALIVE}s)")


class KeepAliveIdleConnections(GateCase):
    KEEPALIVE = 6.0
    api = {"max_connections": 1024, "keepalive_timeout_ms": int(KEEPALIVE * 1000)}
    COUNT = 400

    def test_connections_idle_after_a_request_starve_nobody(self):
        socks = open_idle(self.api_port, self.COUNT)
        try:
            answered = []
            request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            for s in socks:
                s.sendall(request)
            for s in socks:
                status, headers, _, extra = read_http_response(s, time.monotonic() + 10)
                answered.append(time.monotonic())
                self.assertEqual((status, extra), (200, b""))
                self.assertNotEqual(headers.get("connection"), "close")
            self.assertEqual(held_connections(self.pid), self.COUNT)
            latencies = Latencies()
            self.check_clients(latencies, rounds=3)
            self.assertFalse(any(closed_by_peer(s) for s in socks), "a keep-alive connection was closed early")
            held = held_connections(self.pid)
            # Then the server closes each one once it has been idle for the keep-alive timeout.
            closed = [None] * len(socks)
            deadline = time.monotonic() + self.KEEPALIVE + 5
            while time.monotonic() < deadline and any(c is None for c in closed):
                live = [s for i, s in enumerate(socks) if closed[i] is None]
                for s in wait_readable(live, 0.2):
                    if closed_by_peer(s):
                        closed[socks.index(s)] = time.monotonic()
            self.assertTrue(all(c is not None for c in closed), "keep-alive connections outlived the timeout")
            idle = [c - a for c, a in zip(closed, answered)]
            self.assertGreaterEqual(min(idle), self.KEEPALIVE - 0.5)
            self.assertLessEqual(max(idle), self.KEEPALIVE + 2.0)
            self.report(f"held={held} keep-alive idle connections, closed after {min(idle):.2f}..{max(idle):.2f}s "
                        f"(keepalive_timeout {self.KEEPALIVE}s), worst {latencies.text()}")
        finally:
            for s in socks:
                s.close()

    def test_pipelined_requests_are_answered_in_order(self):
        with connect_from("127.0.0.1", self.api_port) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
                      b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"
                      b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            deadline = time.monotonic() + 5
            statuses = []
            extra = b""
            for _ in range(3):
                s2 = _Prefixed(s, extra)
                status, headers, _, extra = read_http_response(s2, deadline)
                statuses.append((status, headers.get("connection")))
            self.assertEqual(statuses, [(200, None), (404, None), (200, "close")])
            s.settimeout(5)
            self.assertEqual(s.recv(10), b"")  # closed after the request that asked for it


class _Prefixed:
    """A socket whose first recv returns bytes already read past the previous response."""

    def __init__(self, sock: socket.socket, prefix: bytes):
        self.sock, self.prefix = sock, prefix

    def settimeout(self, t: float) -> None:
        self.sock.settimeout(t)

    def recv(self, n: int) -> bytes:
        if self.prefix:
            data, self.prefix = self.prefix, b""
            return data
        return self.sock.recv(n)


class PerAddressAndTotalCaps(GateCase):
    # api.max_connections_per_ip keeps its default (16); a trusted proxy carries many clients.
    api = {"max_connections": 60, "read_timeout_ms": 30000, "trusted_proxies": ["127.0.0.61/32"]}

    def test_over_the_per_address_cap_gets_503_and_close(self):
        # Far from the total cap, so no eviction can close one of these instead.
        self.wait_for(lambda: held_connections(self.pid) == 0, 10, "the other test's connections to go")
        socks = open_idle(self.api_port, 20, sources=["127.0.0.60"])
        try:
            refused = []
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len(refused) < 4:
                refused += wait_readable([s for s in socks if s not in refused], 0.2)
            self.assertEqual(len(refused), 4, "4 of 20 connections from one address are over the cap of 16")
            for s in refused:
                status, headers, body, _ = read_http_response(s, time.monotonic() + 2)
                self.assertEqual((status, body), (503, b'{"error": "unavailable"}'))
                self.assertEqual(headers.get("connection"), "close")
            # Another address is not affected.
            status, elapsed, _ = self.curl_once("/health")
            self.assertEqual(status, 200)
            self.assertLess(elapsed, LATENCY_LIMIT)
            # Nor is a trusted proxy, whatever it holds.
            proxied = open_idle(self.api_port, 20, sources=["127.0.0.61"])
            socks += proxied
            self.assertEqual(wait_readable(proxied, 1.0), [])
        finally:
            for s in socks:
                s.close()

    def test_at_the_total_cap_the_oldest_idle_connection_makes_room(self):
        others = ["127.0.0.60", "127.0.0.61"]  # the other test's addresses: their connections must be gone
        self.wait_for(lambda: held_connections(self.pid, others) == 0, 10, "the other test's connections to go")
        socks = open_idle(self.api_port, 100, sources=SOURCES[:10])  # 10 per address, 100 > the cap of 60
        try:
            latencies = Latencies()
            for _ in range(3):
                status, elapsed, _ = self.curl_once("/health")
                latencies.note("curl_health", elapsed)
                self.assertEqual(status, 200)
                self.assertLess(elapsed, LATENCY_LIMIT)
            # The first ones were evicted (closed without an answer); the newest are held.
            self.wait_for(lambda: closed_by_peer(socks[0]), 5, "the oldest idle connection to be closed")
            self.assertFalse(closed_by_peer(socks[-1]))
            evicted = sum(1 for s in socks if closed_by_peer(s))
            self.assertGreaterEqual(evicted, 40)
            self.report(f"{evicted} of 100 idle connections evicted at max_connections=60, worst {latencies.text()}")
        finally:
            for s in socks:
                s.close()


class ClientBehaviours(GateCase):
    """What real clients do that the gate must wait for correctly."""

    def update(self, txt: str, headers: dict) -> tuple:
        body = json.dumps({"subdomain": self.account["subdomain"], "txt": txt})
        return self.curl_once("/update", "POST", body,
                              {"X-Api-User": self.account["username"], "X-Api-Key": self.account["password"],
                               "Content-Type": "application/json", **headers})

    def test_expect_100_continue_is_answered_without_the_clients_wait(self):
        # curl waits up to 1 s for "100 Continue" before it sends the body anyway.
        status, elapsed, body = self.update(h.acme_value(1), {"Expect": "100-continue"})
        self.assertEqual(status, 200, body)
        self.assertLess(elapsed, 0.8)

    def test_a_chunked_body_is_read_whole(self):
        status, elapsed, body = self.update(h.acme_value(2), {"Transfer-Encoding": "chunked"})
        self.assertEqual(status, 200, body)
        self.assertLess(elapsed, LATENCY_LIMIT)
        res = h.dig(self.port, f"{self.account['subdomain']}.{h.ZONE}", "TXT")
        self.assertIn(f'"{h.acme_value(2)}"', [row[-1] for row in res.rows("ANSWER", "TXT")])

    def test_a_header_section_that_never_ends_gets_431(self):
        with connect_from("127.0.0.1", self.api_port) as s:
            s.sendall(b"GET /health HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 40000)
            status, headers, body, _ = read_http_response(s, time.monotonic() + 5)
            self.assertEqual((status, body), (431, b'{"error": "headers_too_large"}'))
            self.assertEqual(headers.get("connection"), "close")
            s.settimeout(5)
            self.assertEqual(s.recv(10), b"")  # closed after a short drain


class StopWhileHeld(GateCase):
    api = {"max_connections": 1024, "read_timeout_ms": 60000, "keepalive_timeout_ms": 60000}

    def test_sigterm_closes_held_connections_and_exits_promptly(self):
        idle = open_idle(self.api_port, 300)
        kept = open_idle(self.api_port, 50, sources=SOURCES[::-1])
        try:
            for s in kept:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                self.assertEqual(read_http_response(s, time.monotonic() + 5)[0], 200)
            self.wait_held(350, 10)
            start = time.monotonic()
            self.assertEqual(self.server.stop(timeout=15), 0)
            elapsed = time.monotonic() - start
            self.assertLess(elapsed, 5.0)
            self.assertTrue(all(closed_by_peer(s) for s in idle + kept))
            self.report(f"stopped in {elapsed:.2f}s holding 350 connections")
        finally:
            for s in idle + kept:
                s.close()


class ConfigValidation(unittest.TestCase):
    def test_max_connections_per_ip_is_checked(self):
        cases = ((0, "api.max_connections_per_ip: 0 is out of range (1..1000000)"),
                 (300, "api.max_connections_per_ip: 300 is above api.max_connections (256)"),
                 ("many", "api.max_connections_per_ip: expected an integer"))
        for value, message in cases:
            with self.subTest(value=value), h.server_files(
                    {"api": {"listen": [f"127.0.0.1:{h.free_port()}"], "max_connections_per_ip": value}}) as server:
                p = subprocess.run([h.BINARY, "serve", "--config", str(server.config_path)], capture_output=True, text=True,
                                   timeout=h.SUBPROCESS_TIMEOUT)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(message, p.stderr)


class TlsIdleConnections(GateCase):
    tls = True
    api = {"max_connections": 1024, "read_timeout_ms": 30000, "keepalive_timeout_ms": 30000}
    COUNT = 300

    def test_idle_and_keep_alive_tls_connections_starve_nobody(self):
        socks = open_idle(self.api_port, self.COUNT)  # TCP only: not even a ClientHello
        context = ssl.create_default_context(cafile=str(self.cert))
        tls_socks = []
        try:
            # TLS clients that make one request, then idle on the kept-alive connection.
            for i in range(100):
                raw = connect_from(SOURCES[i % len(SOURCES)], self.api_port)
                t = context.wrap_socket(raw, server_hostname="localhost")
                tls_socks.append(t)
                t.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                status, _, _, _ = read_http_response(t, time.monotonic() + 5)
                self.assertEqual(status, 200)
            self.wait_held(self.COUNT + 100, 10)
            latencies = Latencies()
            self.check_clients(latencies, rounds=3)
            # The kept-alive TLS connections still work after the others were served.
            for t in tls_socks[:5]:
                t.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                status, _, _, _ = read_http_response(t, time.monotonic() + 5)
                self.assertEqual(status, 200)
            held = held_connections(self.pid)
            self.report(f"held={held} idle TLS connections (tcp-only={self.COUNT} keep-alive=100) worst {latencies.text()}")
        finally:
            for s in socks + tls_socks:
                s.close()


if __name__ == "__main__":
    h.main()
