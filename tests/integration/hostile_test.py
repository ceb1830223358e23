#!/usr/bin/env python3
"""Hostile input: random and truncated packets, compression tricks, bad OPT records, oversized
names, every opcode, garbage and slow-loris over TCP. The server must never crash, never answer
a response, answer what it answers with well-formed messages, and keep serving others.

The random seed is printed; rerun with ACMEZONE_FUZZ_SEED=<seed> to reproduce a failure.
"""

import os
import random
import select
import socket
import struct
import time

import harness as h
from harness import A, SOA, TXT, ZONE, Edns

SEED = int(os.environ.get("ACMEZONE_FUZZ_SEED", str(random.SystemRandom().randrange(2**32))))
print(f"hostile_test: seed {SEED} (set ACMEZONE_FUZZ_SEED={SEED} to reproduce)", flush=True)
RANDOM_PACKETS = 5000


class UdpBlaster:
    """Sends many datagrams from one socket and collects whatever comes back, without blocking."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.connect((h.HOST, port))
        self.sock.setblocking(False)
        self.replies = []

    def send(self, packet):
        try:
            self.sock.send(packet)
        except (BlockingIOError, ConnectionRefusedError):
            pass
        self.drain()

    def drain(self, wait=0.0):
        deadline = time.monotonic() + wait
        while True:
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return
            try:
                self.replies.append(self.sock.recv(65535))
            except (BlockingIOError, ConnectionRefusedError):
                return

    def close(self):
        self.sock.close()


def mutate(rng, packet):
    """Random damage: flip bytes, cut, extend, or splice counts."""
    data = bytearray(packet)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(5)
        if choice == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 1 and data:
            del data[rng.randrange(len(data)):]
        elif choice == 2:
            data += rng.randbytes(rng.randint(1, 40))
        elif choice == 3 and len(data) >= 12:
            struct.pack_into("!H", data, 4 + 2 * rng.randrange(4), rng.choice([0, 1, 2, 255, 65535]))
        elif choice == 4 and len(data) > 12:
            pos = rng.randrange(12, len(data))
            data[pos] = 0xC0 | rng.randrange(64)
    return bytes(data)


def pointer_name(target):
    return struct.pack("!H", 0xC000 | target)


class Hostile(h.ServerTestCase):
    overrides = {"dns": {"tcp_idle_timeout_ms": 2000, "tcp_read_timeout_ms": 1000}}

    def setUp(self):
        self.rng = random.Random(f"{SEED}-{self._testMethodName}")

    def tearDown(self):
        self.assertTrue(self.server.alive(), f"server died:\n{self.server.log()}")
        self.assertTrue(self.server.answers_soa(transport="udp"), "no longer answers over UDP")
        self.assertTrue(self.server.answers_soa(transport="tcp"), "no longer answers over TCP")

    def assert_well_formed(self, raw, sent=None):
        """Any reply must parse, have QR=1, fit the UDP limit, and echo the ID."""
        self.assertLessEqual(len(raw), 1232)
        reply = h.parse_message(raw)  # raises on malformed output
        self.assertEqual(reply.qr, 1)
        if sent is not None and len(sent) >= 2:
            self.assertEqual(raw[:2], sent[:2])
        return reply

    def expect(self, packet, rcodes, transport="udp"):
        """Sends one packet; the header is readable, so a reply must come with one of rcodes (RFC 1035, H8)."""
        raw = h.udp_exchange(self.port, packet, timeout=1.0) if transport == "udp" else self._tcp_once(packet)
        self.assertIsNotNone(raw, f"no {transport} reply to {packet.hex()}")
        reply = self.assert_well_formed(raw, packet) if transport == "udp" else h.parse_message(raw)
        self.assertIn(reply.rcode_text, rcodes, packet.hex())
        return reply

    def _tcp_once(self, packet):
        try:
            return h.tcp_exchange(self.port, packet, timeout=2.0)
        except (socket.timeout, ConnectionResetError, ValueError):
            return None

    # -- UDP --------------------------------------------------------------------------------------
    def test_random_and_truncated_packets(self):
        seeds = [h.make_query(ZONE, SOA), h.make_query(f"x.{ZONE}", TXT, edns=Edns(do=True)),
                 h.make_query(f"Mixed.{ZONE}", A, edns=Edns(options=((10, b"12345678"),)))]
        blaster = UdpBlaster(self.port)
        try:
            for i in range(RANDOM_PACKETS):
                kind = i % 3
                if kind == 0:
                    packet = self.rng.randbytes(self.rng.randint(0, 600))
                elif kind == 1:
                    base = self.rng.choice(seeds)
                    packet = base[:self.rng.randrange(len(base))]
                else:
                    packet = mutate(self.rng, self.rng.choice(seeds))
                blaster.send(packet)
            blaster.drain(wait=1.0)
            for raw in blaster.replies:
                self.assert_well_formed(raw)
        finally:
            blaster.close()
        print(f"hostile_test: {RANDOM_PACKETS} random packets, {len(blaster.replies)} replies", flush=True)

    def test_responses_are_never_answered(self):
        blaster = UdpBlaster(self.port)
        try:
            for _ in range(500):
                packet = bytearray(self.rng.choice([h.make_query(ZONE, SOA), self.rng.randbytes(40)]))
                packet[2] |= 0x80  # QR=1
                blaster.send(bytes(packet))
            blaster.drain(wait=0.5)
            self.assertEqual(blaster.replies, [], "replied to a message with QR=1")
        finally:
            blaster.close()

    def test_compression_tricks_in_question(self):
        hdr = h.header(7)
        tail = struct.pack("!HH", SOA, 1)
        formerr = {"FORMERR"}
        cases = {
            "self loop": (hdr + pointer_name(12) + tail, formerr),
            "two-step loop": (hdr + b"\x01a" + pointer_name(12) + tail, formerr),
            "forward pointer": (hdr + pointer_name(20) + tail + b"\x00\x00" + h.encode_name(ZONE), formerr),
            "pointer past end": (hdr + pointer_name(0x3FFF) + tail, formerr),
            # Backwards into the header: the octet there is 0, so this is the root name; legal but not ours.
            "pointer into header": (hdr + pointer_name(2) + tail, {"FORMERR", "REFUSED"}),
            "reserved label type 0x40": (hdr + b"\x41a\x00" + tail, formerr),
            "reserved label type 0x80": (hdr + b"\x81a\x00" + tail, formerr),
            "label past end": (hdr + b"\x3fabc", formerr),
            "no terminating zero": (hdr + b"\x04acme", formerr),
            "name but no type": (hdr + h.encode_name(ZONE), formerr),
        }
        for what, (packet, rcodes) in cases.items():
            for transport in ("udp", "tcp"):
                with self.subTest(case=what, transport=transport):
                    self.expect(packet, rcodes, transport)

    def test_oversized_names(self):
        long_label = h.header(8) + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", SOA, 1)
        labels = b"".join(b"\x3f" + b"b" * 63 for _ in range(4))  # 256 octets before the root
        long_name = h.header(9) + labels + b"\x00" + struct.pack("!HH", SOA, 1)
        for what, packet in (("64-octet label", long_label), ("name over 255", long_name)):
            for transport in ("udp", "tcp"):
                with self.subTest(case=what, transport=transport):
                    self.expect(packet, {"FORMERR"}, transport)

    def test_bad_opt_records(self):
        q = h.question(ZONE, SOA)
        cases = {
            "non-root owner": h.header(10, ar=1) + q + h.opt_rr(Edns(), owner=h.encode_name("x")),
            "rdlength past end": h.header(11, ar=1) + q + h.opt_rr(Edns(), rdlength=40),
            "option past rdata": h.header(12, ar=1) + q + h.opt_rr(Edns(options=((10, b"12345678"),)), rdlength=6),
            "truncated OPT": h.header(13, ar=1) + q + h.opt_rr(Edns())[:7],
            "OPT in answer": h.header(14, an=1) + q + h.opt_rr(Edns()),
            "arcount too high": h.header(15, ar=3) + q + h.opt_rr(Edns()),
        }
        for what, packet in cases.items():
            for transport in ("udp", "tcp"):
                with self.subTest(case=what, transport=transport):
                    self.expect(packet, {"FORMERR"}, transport)
        # COOKIE support is optional (RFC 7873): a server with cookies says FORMERR to a 3-octet
        # one, a server without them ignores the option; either way it answers.
        bad_cookie = h.header(16, ar=1) + q + h.opt_rr(Edns(options=((10, b"123"),)))
        self.expect(bad_cookie, {"FORMERR", "NOERROR"})

    def test_every_opcode(self):
        expected = {0: {"NOERROR"}, 4: {"NOTIMP", "REFUSED", "FORMERR", "NOTAUTH"},
                    5: {"NOTIMP", "REFUSED", "FORMERR", "NOTAUTH"}}
        for opcode in range(16):
            for transport in ("udp", "tcp"):
                with self.subTest(opcode=opcode, transport=transport):
                    packet = h.make_query(ZONE, SOA, qid=300 + opcode, opcode=opcode)
                    reply = self.expect(packet, expected.get(opcode, {"NOTIMP"}), transport)  # RFC 8906
                    self.assertEqual(reply.opcode, opcode)

    # -- TCP --------------------------------------------------------------------------------------
    def test_tcp_garbage_with_bogus_lengths(self):
        for i in range(60):
            body = self.rng.randbytes(self.rng.randint(0, 300))
            claimed = self.rng.choice([0, 1, 11, len(body), len(body) + 7, 65535, self.rng.randrange(65536)])
            try:
                with h.tcp_connect(self.port, timeout=2.0) as s:
                    s.sendall(struct.pack("!H", claimed) + body)
                    s.shutdown(socket.SHUT_WR)  # then EOF: the server must not wait forever
                    h.wait_closed(s, timeout=3.0)
            except (ConnectionResetError, BrokenPipeError):
                pass
        self.assertTrue(self.server.answers_soa(transport="tcp"))

    def test_silent_connections_do_not_block_others(self):
        holders = []
        try:
            for _ in range(20):  # a length prefix promising 65535 octets, then silence
                s = h.tcp_connect(self.port)
                s.sendall(b"\xff\xff" + b"\x00" * 10)
                holders.append(s)
            for _ in range(20):  # connected, nothing sent
                holders.append(h.tcp_connect(self.port))
            started = time.monotonic()
            for transport in ("udp", "tcp"):
                r = h.query(self.port, ZONE, SOA, transport)
                self.assertEqual((r.rcode_text, r.aa, len(r.answer)), ("NOERROR", 1, 1))
            self.assertLess(time.monotonic() - started, 2.0, "others served promptly")
            for s in holders[:20]:
                self.assertTrue(h.wait_closed(s, timeout=5.0), "slow message not cut off")
        finally:
            for s in holders:
                s.close()

    def test_per_ip_connection_cap_keeps_serving_udp(self):
        holders = []
        try:
            for _ in range(80):  # beyond tcp_max_connections_per_ip=64
                try:
                    holders.append(h.tcp_connect(self.port, timeout=2.0))
                except OSError:
                    break
            r = h.query(self.port, ZONE, SOA, "udp")
            self.assertEqual(r.rcode_text, "NOERROR")
        finally:
            for s in holders:
                s.close()
        self.wait_until(lambda: self.server.answers_soa(transport="tcp"), 10.0, "TCP served again after closing")


if __name__ == "__main__":
    h.main()
