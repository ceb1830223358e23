#!/usr/bin/env python3
"""Response rate limiting (RRL) over UDP with the real binary: a flood of identical queries from
one address gets a handful of full answers, then drops with every slip-th reply a bare TC=1
message no bigger than the query; TCP is still answered; an exempt address and another /24 are
answered in full while the flooded /24 is not; the summary log line is not per packet; a server
without [dns.rrl] (every other integration test) answers every query; bad [dns.rrl] values stop
`serve` with exit 2 naming the key.

Each flood is followed by a marker query from the same socket (an NXDOMAIN, whose bucket the
flood does not touch): one socket is served by one worker in order, so once the marker's reply
is in, every reply the flood will ever get is in. No sleeps, every wait has a deadline.
"""

import random
import re
import socket
import subprocess
import time
import unittest

import harness as h
from harness import A, TXT, ZONE

RATE = 10     # responses per second per (network, name)
WINDOW = 5    # seconds a flood is remembered: long enough for the checks that follow it
SLIP = 2
FLOOD = 500
EXEMPT = "127.0.0.2"          # in the flooded 127.0.0.0/24, but exempt
NEIGHBOUR = "127.0.0.3"       # in the flooded 127.0.0.0/24, not exempt
OTHER_NETWORK = "127.0.1.1"   # another /24 (all of 127/8 is loopback on Linux)
FLOOD_DEADLINE = 15.0

RRL = {"enabled": True, "responses_per_second": RATE, "window_seconds": WINDOW, "slip": SLIP,
       # NXDOMAIN gets its own generous budget so the markers below are never limited.
       "nxdomains_per_second": 1000, "exempt": [f"{EXEMPT}/32"]}


def flood(port, name, qtype, count, source=h.HOST):
    """Sends `count` identical queries (IDs 0..count-1, with EDNS) from one socket bound to
    `source`, then a marker; returns (sent queries by ID, parsed replies) once the marker's
    reply has arrived."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind((source, 0))
        s.connect((h.HOST, port))
        s.settimeout(5.0)
        sent = {}
        for qid in range(count):
            sent[qid] = h.make_query(name, qtype, qid=qid, edns=h.Edns())
            s.send(sent[qid])
        marker = count
        s.send(h.make_query(f"marker-{random.getrandbits(40):x}.{ZONE}.", A, qid=marker, edns=h.Edns()))
        replies = []
        deadline = time.monotonic() + FLOOD_DEADLINE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no reply to the marker within {FLOOD_DEADLINE}s ({len(replies)} replies)")
            s.settimeout(left)
            try:
                msg = h.parse_message(s.recv(65535))
            except socket.timeout:
                continue
            if msg.id == marker:
                if msg.rcode_text != "NXDOMAIN" or msg.tc:
                    raise AssertionError(f"marker answered {msg.rcode_text} tc={msg.tc}")
                return sent, replies
            replies.append(msg)


def udp_query_from(source, port, name, qtype, timeout=0.5):
    """One query from `source`; the parsed reply, or None when none came within timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.connect((h.HOST, port))
        s.settimeout(timeout)
        packet = h.make_query(name, qtype, edns=h.Edns())
        s.send(packet)
        try:
            return h.parse_message(s.recv(65535))
        except socket.timeout:
            return None


def is_full_answer(msg):
    return not msg.tc and msg.rcode_text == "NOERROR" and len(msg.answer) > 0


class RateLimited(h.ServerTestCase):
    overrides = {"dns": {"rrl": RRL}}

    def add_name(self):
        label = h.unique_label("rrl")
        self.server.record_add(label, h.acme_value(1))
        return h.fqdn(label)

    def test_flood_from_one_address(self):
        name = self.add_name()
        started = time.monotonic()
        sent, replies = flood(self.port, name, TXT, FLOOD)
        elapsed = time.monotonic() - started

        full = [m for m in replies if is_full_answer(m)]
        slipped = [m for m in replies if m.tc]
        self.assertEqual(len(full) + len(slipped), len(replies), "only full answers and TC=1 slips")
        # A full bucket holds one second of responses; while the flood lasts, every limited
        # response deepens the debt, so hardly any more get through.
        self.assertGreaterEqual(len(full), 1)
        self.assertLessEqual(len(full), RATE + RATE * elapsed + 2, f"{len(full)} full answers in {elapsed:.2f}s")
        self.assertLess(len(full), FLOOD // 10, "far fewer full answers than queries")
        limited = FLOOD - len(full)
        self.assertGreaterEqual(len(slipped), 0.4 * limited, f"{len(slipped)} slips of {limited} limited")
        self.assertLessEqual(len(slipped), 0.6 * limited, f"{len(slipped)} slips of {limited} limited")
        for msg in slipped:
            query = sent[msg.id]
            self.assertLessEqual(len(msg.raw), len(query), "a slip is never bigger than its query")
            self.assertEqual((len(msg.answer), len(msg.authority), len(msg.additional)), (0, 0, 0))
            self.assertEqual(msg.question_bytes, query[12:12 + len(msg.question_bytes)])
            self.assertEqual(msg.questions, [(name, TXT, 1)])
            self.assertIsNotNone(msg.opt, "the query had an OPT, so the slip has one")
            self.assertEqual(msg.rcode_text, "NOERROR")
        bigger = [m for m in replies if len(m.raw) > len(sent[m.id])]
        self.assertTrue(all(not m.tc for m in bigger))
        self.assertEqual(len(bigger), len(full), "only the few full answers are bigger than their query")

        # The same /24, not exempt: still limited (one bucket per network).
        neighbour = [udp_query_from(NEIGHBOUR, self.port, name, TXT) for _ in range(4)]
        self.assertFalse(any(m is not None and is_full_answer(m) for m in neighbour), neighbour)
        self.assertGreaterEqual(sum(1 for m in neighbour if m is not None and m.tc), 1, "every 2nd is a slip")

        # An exempt address in that same /24: every query of a flood answered in full.
        _, exempt_replies = flood(self.port, name, TXT, 100, source=EXEMPT)
        self.assertEqual(len(exempt_replies), 100)
        self.assertTrue(all(is_full_answer(m) for m in exempt_replies))

        # Another /24 has its own bucket.
        other = udp_query_from(OTHER_NETWORK, self.port, name, TXT, timeout=2.0)
        self.assertIsNotNone(other)
        self.assertTrue(is_full_answer(other), other)

        # TCP is never limited: the slipped client's retry over TCP gets the answer.
        for client in (h.dig, h.kdig):
            result = client(self.port, name, "TXT", tcp=True)
            self.assertEqual(result.status, "NOERROR", result.stdout)
            self.assertEqual(len(result.rows("ANSWER", "TXT")), 1, result.stdout)
        self.assertTrue(h.exchange(self.port, h.make_query(name, TXT, edns=h.Edns()), "tcp").answer)

        # One summary line names the network; nothing is logged per packet.
        self.wait_until(lambda: "event=rrl_limiting prefix=127.0.0.0/24" in self.server.log(), 5.0,
                        "the RRL summary log line")
        self.assertLess(self.server.log().count("event=rrl_limiting"), 5)

    def test_other_names_and_kinds_keep_their_budget(self):
        flooded = self.add_name()
        fresh = self.add_name()
        _, replies = flood(self.port, flooded, TXT, 200)
        self.assertLess(sum(1 for m in replies if is_full_answer(m)), 200 // 10)
        # Another name from the same address: its own bucket, a full burst.
        _, replies = flood(self.port, fresh, TXT, RATE)
        self.assertEqual(sum(1 for m in replies if is_full_answer(m)), RATE)


class NotLimitedByDefault(h.ServerTestCase):
    """Without [dns.rrl] (as in every other integration test) nothing is limited."""

    def test_flood_is_answered_in_full(self):
        label = h.unique_label("norrl")
        self.server.record_add(label, h.acme_value(2))
        _, replies = flood(self.port, h.fqdn(label), TXT, FLOOD)
        self.assertEqual(len(replies), FLOOD)
        self.assertTrue(all(is_full_answer(m) for m in replies))


class ConfigErrors(unittest.TestCase):
    """A bad [dns.rrl] value stops `serve` with exit 2 and names the key."""

    def test_bad_values_name_the_key(self):
        cases = {
            "dns.rrl.slip": {"slip": 11},
            "dns.rrl.responses_per_second": {"responses_per_second": -1},
            "dns.rrl.nxdomains_per_second": {"nxdomains_per_second": 10001},
            "dns.rrl.errors_per_second": {"errors_per_second": "many"},
            "dns.rrl.window_seconds": {"window_seconds": 0},
            "dns.rrl.ipv4_prefix_length": {"ipv4_prefix_length": 33},
            "dns.rrl.ipv6_prefix_length": {"ipv6_prefix_length": 129},
            "dns.rrl.table_size": {"table_size": 10},
            "dns.rrl.exempt[1]": {"exempt": ["127.0.0.1/32", "127.0.0.1"]},
            "dns.rrl.enabled": {"enabled": "yes"},
            "dns.rrl.respones_per_second": {"respones_per_second": 5},
        }
        for key, rrl in cases.items():
            with self.subTest(key=key), h.server_files({"dns": {"rrl": rrl}}) as server:
                proc = subprocess.run([server.binary, "serve", "--config", str(server.config_path)],
                                      capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertRegex(proc.stderr, rf"config error: [^\n]*{re.escape(key)}")


if __name__ == "__main__":
    h.main()
