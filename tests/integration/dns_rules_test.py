#!/usr/bin/env python3
"""The DNS compliance checklist (dns-standards.md §1) against the real acmezone binary.

Real clients (dig, kdig) over UDP and TCP for what a resolver or CA sees; raw sockets for
byte-exact checks (0x20 echo, header bits, OPT details) and for queries no client sends.
"""

import random
import socket
import struct
import subprocess
import time

import harness as h
from harness import A, ANY, AXFR, CAA, CH, HINFO, NS, OPT, SOA, TSIG, TXT, ZONE, Edns, fqdn

TRANSPORTS = ("udp", "tcp")


class DnsRules(h.ServerTestCase):
    # Short TCP timeouts so the idle and slow-read checks finish quickly.
    overrides = {"dns": {"tcp_idle_timeout_ms": 500, "tcp_read_timeout_ms": 1000}}

    # -- helpers ----------------------------------------------------------------------------
    def clients(self):
        """(client name, transport, function) for dig and kdig over UDP and TCP."""
        for name, fn in h.CLIENTS.items():
            for transport in TRANSPORTS:
                yield name, transport, fn

    def add_values(self, label, values):
        for value in values:
            self.server.record_add(label, value)

    def assert_negative(self, reply, rcode, name=""):
        """NXDOMAIN/NODATA shape: AA, empty answer, exactly the zone SOA in authority, TTL min(30,10)."""
        self.assertEqual(reply.rcode_text, rcode, name)
        self.assertEqual(reply.aa, 1, f"AA on negative answer for {name}")
        self.assertEqual(reply.answer, [], name)
        self.assertEqual([rr.type for rr in reply.authority], [SOA], f"authority for {name}")
        soa = reply.authority[0]
        self.assertEqual(soa.name.lower(), f"{ZONE}.")
        self.assertEqual(soa.ttl, h.NEGATIVE_TTL, "negative TTL is min(SOA TTL, MINIMUM) (RFC 2308 §5)")
        self.assertEqual(reply.additional, [])

    def assert_client_negative(self, result, status, what):
        self.assertEqual(result.status, status, what)
        self.assertIn("aa", result.flags, what)
        self.assertEqual(result.rows("ANSWER"), [], what)
        auth = result.rows("AUTHORITY")
        self.assertEqual([r[3] for r in auth], ["SOA"], what)
        self.assertEqual(auth[0][1], h.NEGATIVE_TTL, what)

    # -- header and apex ----------------------------------------------------------------------
    def test_soa_at_apex_real_clients(self):
        for client, transport, fn in self.clients():
            for rec in ("+rec", "+norec"):
                with self.subTest(client=client, transport=transport, rd=rec):
                    r = fn(self.port, ZONE, "SOA", rec, tcp=transport == "tcp")
                    self.assertEqual(r.status, "NOERROR")
                    self.assertIn("aa", r.flags)
                    self.assertNotIn("ra", r.flags)
                    self.assertNotIn("tc", r.flags)
                    self.assertEqual("rd" in r.flags, rec == "+rec", "RD copied from the query")
                    rows = r.rows("ANSWER")
                    self.assertEqual(len(rows), 1)
                    owner, ttl, cls, rtype, rdata = rows[0]
                    self.assertEqual((owner, ttl, cls, rtype), (f"{ZONE}.", h.SOA_TTL, "IN", "SOA"))
                    fields = rdata.split()
                    self.assertEqual(fields[:2], [h.NAMESERVERS[0], h.HOSTMASTER])
                    self.assertEqual(fields[3:], ["300", "60", "1209600", "10"])
                    self.assertEqual(r.rows("AUTHORITY"), [], "minimal responses")

    def test_header_bits_raw(self):
        for transport in TRANSPORTS:
            for rd in (False, True):
                with self.subTest(transport=transport, rd=rd):
                    packet = h.make_query(ZONE, SOA, rd=rd, cd=True, edns=Edns())
                    r = h.exchange(self.port, packet, transport)
                    self.assertEqual(r.id, struct.unpack("!H", packet[:2])[0])
                    self.assertEqual((r.qr, r.opcode, r.aa, r.tc, r.rd, r.ra, r.z, r.ad, r.cd),
                                     (1, 0, 1, 0, int(rd), 0, 0, 0, 0))
                    self.assertEqual(r.question_bytes, packet[12:12 + len(r.question_bytes)])
                    self.assertEqual(len(r.answer), 1)
                    mname, rname, _serial, *timers = r.answer[0].data
                    self.assertEqual((mname, rname, timers), (h.NAMESERVERS[0], h.HOSTMASTER, [300, 60, 1209600, 10]))

    def test_ns_at_apex(self):
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                r = fn(self.port, ZONE, "NS", tcp=transport == "tcp")
                self.assertEqual(r.status, "NOERROR")
                self.assertIn("aa", r.flags)
                rows = r.rows("ANSWER", "NS")
                self.assertEqual(sorted(row[4] for row in rows), sorted(h.NAMESERVERS))
                self.assertTrue(all(row[1] == h.NS_TTL for row in rows))
                self.assertEqual(len(r.rows("ANSWER")), 2)

    def test_static_a_case_insensitive_lookup(self):
        for qname in (f"Mixed.{ZONE}", f"mixed.{ZONE}", f"MIXED.{ZONE.upper()}"):
            for transport in TRANSPORTS:
                with self.subTest(qname=qname, transport=transport):
                    r = h.query(self.port, qname, A, transport)
                    self.assertEqual(r.rcode_text, "NOERROR")
                    self.assertEqual(r.aa, 1)
                    self.assertEqual([(rr.type, rr.data) for rr in r.answer], [(A, "127.0.0.2")])
                    self.assertEqual(r.answer[0].name.lower(), qname.lower() + ".")
        d = h.dig(self.port, f"mixed.{ZONE}", "A")
        self.assertEqual([row[4] for row in d.rows("ANSWER", "A")], ["127.0.0.2"], d.stdout)

    def test_static_caa_keeps_case(self):
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                r = fn(self.port, ZONE, "CAA", tcp=transport == "tcp")
                self.assertEqual(r.status, "NOERROR")
                self.assertEqual([row[4] for row in r.rows("ANSWER", "CAA")], ['0 issue "LetsEncrypt.org"'])
        raw = h.query(self.port, ZONE, CAA)
        self.assertEqual([rr.data for rr in raw.answer], [(0, "issue", "LetsEncrypt.org")])

    # -- dynamic TXT ----------------------------------------------------------------------------
    def test_dynamic_txt_two_values_visible_at_once(self):
        label = h.unique_label("tok")
        values = [h.acme_value(1), h.acme_value(2)]
        self.add_values(label, values)
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                r = fn(self.port, fqdn(label), "TXT", tcp=transport == "tcp")
                self.assertEqual(r.status, "NOERROR")
                self.assertIn("aa", r.flags)
                rows = r.rows("ANSWER", "TXT")
                self.assertEqual(sorted(row[4] for row in rows), sorted(f'"{v}"' for v in values))
                self.assertTrue(all(row[1] == h.TXT_TTL for row in rows))
        for transport in TRANSPORTS:
            raw = h.query(self.port, fqdn(label), TXT, transport)
            self.assertEqual(sorted(raw.txt_values()), sorted(values))
            self.assertEqual({rr.ttl for rr in raw.answer}, {h.TXT_TTL})

    def test_long_txt_value_split_into_255_octet_strings(self):
        label = h.unique_label("long")
        value = "".join(random.Random(7).choice("abcdefghij") for _ in range(300))
        self.server.record_add(label, value)
        for transport in TRANSPORTS:
            with self.subTest(transport=transport):
                r = h.query(self.port, fqdn(label), TXT, transport)
                self.assertEqual(len(r.answer), 1)
                self.assertEqual(r.answer[0].data, [value[:255].encode(), value[255:].encode()])
        d = h.dig(self.port, fqdn(label), "TXT")
        self.assertEqual(d.rows("ANSWER", "TXT")[0][4], f'"{value[:255]}" "{value[255:]}"')

    def test_record_del_removes_values(self):
        label = h.unique_label("del")
        v1, v2 = h.acme_value(11), h.acme_value(12)
        self.add_values(label, [v1, v2])
        self.server.record_del(label, v1)
        self.assertEqual(h.query(self.port, fqdn(label), TXT).txt_values(), [v2])
        self.server.record_del(label)
        for transport in TRANSPORTS:
            self.assert_negative(h.query(self.port, fqdn(label), TXT, transport), "NXDOMAIN", label)
        self.assert_client_negative(h.kdig(self.port, fqdn(label), "TXT"), "NXDOMAIN", "kdig after del")

    def test_value_cap_per_name(self):
        label = h.unique_label("cap")
        for i in range(9):  # one more than max_txt_per_name: refused or the oldest dropped, never 9
            self.server.cli("record", "add", label, h.acme_value(100 + i), check=False)
        r = h.query(self.port, fqdn(label), TXT, "tcp")
        self.assertGreaterEqual(len(r.answer), 1)
        self.assertLessEqual(len(r.answer), 8)

    # -- negative answers ---------------------------------------------------------------------
    def test_nxdomain(self):
        name = f"nope-{h.unique_label()}.{ZONE}"
        for transport in TRANSPORTS:
            for qtype in (TXT, A, SOA):
                with self.subTest(transport=transport, qtype=qtype):
                    self.assert_negative(h.query(self.port, name, qtype, transport), "NXDOMAIN", name)
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                self.assert_client_negative(fn(self.port, name, "TXT", tcp=transport == "tcp"), "NXDOMAIN", client)

    def test_nodata(self):
        label = h.unique_label("nd")
        self.server.record_add(label, h.acme_value(3))
        cases = [(fqdn(label), A), (fqdn(label), h.AAAA), (f"mixed.{ZONE}", TXT), (ZONE, TXT), (ZONE, A),
                 (fqdn(label), 65000), (ZONE, 65000), (fqdn(label), CAA)]
        for transport in TRANSPORTS:
            for name, qtype in cases:
                with self.subTest(transport=transport, name=name, qtype=qtype):
                    self.assert_negative(h.query(self.port, name, qtype, transport), "NOERROR", name)
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                self.assert_client_negative(fn(self.port, fqdn(label), "TYPE65000", tcp=transport == "tcp"),
                                            "NOERROR", client)
                self.assert_client_negative(fn(self.port, fqdn(label), "A", tcp=transport == "tcp"), "NOERROR", client)

    def test_unknown_type_at_missing_name_is_nxdomain(self):
        self.assert_negative(h.query(self.port, f"missing.{ZONE}", 65000), "NXDOMAIN")

    def test_empty_non_terminal(self):
        leaf = f"a.{h.unique_label('ent')}"
        self.server.record_add(leaf, h.acme_value(4))
        parent = leaf.split(".", 1)[1]
        for transport in TRANSPORTS:
            with self.subTest(transport=transport):
                self.assert_negative(h.query(self.port, fqdn(parent), TXT, transport), "NOERROR", parent)
                self.assertEqual(h.query(self.port, fqdn(leaf), TXT, transport).txt_values(), [h.acme_value(4)])
        for client, fn in h.CLIENTS.items():
            with self.subTest(client=client):
                self.assert_client_negative(fn(self.port, fqdn(parent), "TXT"), "NOERROR", client)

    # -- outside the zone ---------------------------------------------------------------------
    def test_outside_zone_refused_without_leaks(self):
        label = h.unique_label("leak")
        self.server.record_add(label, h.acme_value(5))
        names = ["example.test", "other.test", f"{label}.other.test", label, f"{label}.example.test",
                 f"{ZONE}.other.test", f"{label}.{ZONE}.evil.test", "test", "."]
        for transport in TRANSPORTS:
            for name in names:
                for qtype in (TXT, SOA):
                    with self.subTest(transport=transport, name=name, qtype=qtype):
                        r = h.query(self.port, name, qtype, transport, edns=Edns())
                        self.assertEqual(r.rcode_text, "REFUSED")
                        self.assertEqual(r.aa, 0)
                        self.assertEqual((r.answer, r.authority, r.additional), ([], [], []))
                        self.assertIsNotNone(r.opt, "OPT echoed on REFUSED (RFC 6891 §7)")
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                r = fn(self.port, f"{label}.other.test", "TXT", tcp=transport == "tcp")
                self.assertEqual(r.status, "REFUSED")
                self.assertNotIn("aa", r.flags)
                self.assertEqual(r.rows("ANSWER") + r.rows("AUTHORITY"), [])

    def test_chaos_class_refused(self):
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                r = fn(self.port, "version.bind", "TXT", "-c", "CH", tcp=transport == "tcp")
                self.assertEqual(r.status, "REFUSED")
                self.assertEqual(r.rows("ANSWER"), [])
        r = h.query(self.port, ZONE, SOA, qclass=CH)
        self.assertEqual(r.rcode_text, "REFUSED")
        self.assertEqual(r.answer, [])

    # -- names: 0x20 ----------------------------------------------------------------------------
    def test_question_case_echoed_exactly(self):
        label = h.unique_label("case")
        self.server.record_add(label, h.acme_value(6))
        for transport in TRANSPORTS:
            for qname, qtype in (("AcMe.ExAmPlE.tEsT", SOA), (f"{label.upper()}.aCmE.eXaMpLe.TeSt", TXT),
                                 (f"NoSuCh.AcMe.ExAmPlE.tEsT", TXT)):
                with self.subTest(transport=transport, qname=qname):
                    packet = h.make_query(qname, qtype, edns=Edns())
                    r = h.exchange(self.port, packet, transport)
                    qlen = len(h.encode_name(qname)) + 4
                    self.assertEqual(r.question_bytes, packet[12:12 + qlen], "question copied byte for byte")
                    self.assertEqual(r.aa, 1)
                    for rr in r.answer:
                        self.assertEqual(rr.name.lower(), qname.lower() + ".")

    # -- malformed and unusual queries (raw) ----------------------------------------------------
    def test_qdcount_zero_and_two_formerr(self):
        qid = 0x1234
        q = h.question(ZONE, SOA)
        packets = {
            "qd0": h.header(qid, qd=0),
            "qd0+opt": h.header(qid, qd=0, ar=1) + h.opt_rr(Edns()),
            "qd2": h.header(qid, qd=2) + q + h.question(ZONE, NS),
            "qd2+opt": h.header(qid, qd=2, ar=1) + q + q + h.opt_rr(Edns()),
        }
        for transport in TRANSPORTS:
            for what, packet in packets.items():
                with self.subTest(transport=transport, case=what):
                    r = h.exchange(self.port, packet, transport)
                    self.assertEqual((r.id, r.qr, r.opcode), (qid, 1, 0))
                    self.assertEqual(r.rcode_text, "FORMERR")
                    self.assertEqual(r.answer, [])
                    self.assertEqual(r.opt is not None, what.endswith("+opt"), "OPT iff the query had one")

    def test_unsupported_opcodes_notimp(self):
        for transport in TRANSPORTS:
            for opcode in (1, 2, 3, 6, 7, 15):
                with self.subTest(transport=transport, opcode=opcode):
                    r = h.exchange(self.port, h.make_query(ZONE, SOA, qid=77, opcode=opcode), transport)
                    self.assertEqual((r.id, r.qr, r.opcode, r.rcode_text), (77, 1, opcode, "NOTIMP"))
                    self.assertEqual(r.answer, [])

    def test_meta_qtypes_formerr(self):
        for qtype in (OPT, TSIG):
            with self.subTest(qtype=qtype):
                self.assertEqual(h.query(self.port, ZONE, qtype).rcode_text, "FORMERR")

    def test_axfr_over_udp_is_no_transfer(self):
        r = h.query(self.port, ZONE, AXFR)
        self.assertNotEqual(r.rcode_text, "NOERROR")
        self.assertEqual(r.answer, [])

    def test_response_and_short_header_get_no_reply(self):
        query = bytearray(h.make_query(ZONE, SOA, qid=99))
        query[2] |= 0x80  # QR=1: a response; answering it could loop two servers (RFC 1035)
        cases = {"qr=1": bytes(query), "11 bytes": h.make_query(ZONE, SOA)[:11], "empty": b"", "1 byte": b"\x00"}
        for what, packet in cases.items():
            with self.subTest(case=what):
                self.assertIsNone(h.udp_exchange(self.port, packet, timeout=0.5))
        self.assertTrue(self.server.answers_soa(), "still answers afterwards")

    # -- EDNS -------------------------------------------------------------------------------------
    def test_opt_echoed_with_our_payload(self):
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                opts = ("+edns=0",) if client == "kdig" else ()
                r = fn(self.port, ZONE, "SOA", *opts, tcp=transport == "tcp")
                self.assertIsNotNone(r.edns, r.stdout)
                self.assertEqual(r.edns_version, 0)
                self.assertEqual(r.edns_udp, 1232)
        for payload in (512, 1232, 4096, 65535):
            r = h.query(self.port, ZONE, SOA, edns=Edns(payload=payload))
            self.assertEqual((r.opt.owner, r.opt.payload, r.opt.version, r.opt_count), (".", 1232, 0, 1))

    def test_no_opt_without_edns(self):
        r = h.dig(self.port, ZONE, "SOA", "+noedns")
        self.assertIsNone(r.edns)
        self.assertEqual(r.status, "NOERROR")
        for transport in TRANSPORTS:
            raw = h.query(self.port, ZONE, SOA, transport)
            self.assertIsNone(raw.opt)
            self.assertEqual(raw.counts[3], 0)

    def test_two_opts_formerr(self):
        packet = h.header(5, ar=2) + h.question(ZONE, SOA) + h.opt_rr(Edns()) + h.opt_rr(Edns())
        for transport in TRANSPORTS:
            with self.subTest(transport=transport):
                r = h.exchange(self.port, packet, transport)
                self.assertEqual(r.rcode_text, "FORMERR")
                self.assertLessEqual(r.opt_count, 1)
                self.assertEqual(r.answer, [])

    def test_edns_version_1_badvers(self):
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                opts = ("+edns=1", "+noednsnegotiation") if client == "dig" else ("+edns=1",)
                r = fn(self.port, ZONE, "SOA", *opts, tcp=transport == "tcp")
                self.assertEqual(r.status, "BADVERS", r.stdout)
                self.assertEqual(r.rows("ANSWER"), [])
        for transport in TRANSPORTS:
            r = h.query(self.port, ZONE, SOA, transport, edns=Edns(version=1))
            self.assertEqual(r.rcode, 0, "header RCODE is the low 4 bits of 16")
            self.assertEqual((r.opt.ext_rcode, r.opt.version), (1, 0))
            self.assertEqual(r.full_rcode, 16)
            self.assertEqual(r.answer, [])

    def test_do_bit_copied(self):
        for client, transport, fn in self.clients():
            with self.subTest(client=client, transport=transport):
                r = fn(self.port, ZONE, "SOA", "+dnssec", tcp=transport == "tcp")
                self.assertIn("do", r.edns_flags)
                self.assertEqual(r.status, "NOERROR")
        for do in (False, True):
            r = h.query(self.port, ZONE, SOA, edns=Edns(do=do, extra_flags=0x4000))
            self.assertEqual(r.opt.do, do)
            self.assertEqual(r.opt.flags & 0x7FFF, 0, "unknown EDNS flag bits sent back as zero")

    def test_unknown_and_ecs_options_not_echoed(self):
        r = h.dig(self.port, ZONE, "SOA", "+ednsopt=65001:abcd")
        self.assertEqual(r.status, "NOERROR")
        self.assertFalse(any("65001" in line for line in r.edns_lines), r.edns_lines)
        r = h.dig(self.port, ZONE, "SOA", "+subnet=192.0.2.0/24")
        self.assertEqual(r.status, "NOERROR")
        self.assertFalse(any("SUBNET" in line.upper() for line in r.edns_lines), r.edns_lines)
        ecs = (8, struct.pack("!HBB", 1, 24, 0) + bytes([192, 0, 2]))
        raw = h.query(self.port, ZONE, SOA, edns=Edns(options=((65001, b"\xab\xcd"), ecs)))
        self.assertEqual(raw.rcode_text, "NOERROR")
        self.assertFalse({code for code, _ in raw.opt.options} & {8, 65001})

    # -- truncation -------------------------------------------------------------------------------
    def test_truncation(self):
        mid, big = h.unique_label("mid"), h.unique_label("big")
        rng = random.Random(42)
        mid_values = ["".join(rng.choice("klmnop") for _ in range(150)) + str(i) for i in range(4)]
        big_values = ["".join(rng.choice("qrstuv") for _ in range(200)) + str(i) for i in range(8)]
        self.add_values(mid, mid_values)  # about 700 octets: over 512, under 1232
        self.add_values(big, big_values)  # about 1750 octets: over 1232

        def check_truncated(r, limit, with_opt):
            self.assertEqual((r.tc, r.aa, r.rcode_text), (1, 1, "NOERROR"))
            self.assertEqual((r.answer, r.authority), ([], []), "no partial RRsets (RFC 2181 §9)")
            self.assertEqual(r.opt is not None, with_opt)
            self.assertLessEqual(len(r.raw), limit)

        check_truncated(h.query(self.port, fqdn(mid), TXT), 512, False)
        check_truncated(h.query(self.port, fqdn(mid), TXT, edns=Edns(payload=100)), 512, True)
        r = h.query(self.port, fqdn(mid), TXT, edns=Edns(payload=1232))
        self.assertEqual(r.tc, 0)
        self.assertEqual(sorted(r.txt_values()), sorted(mid_values))
        for payload in (1232, 4096):
            check_truncated(h.query(self.port, fqdn(big), TXT, edns=Edns(payload=payload)), 1232, True)
        for label, values in ((mid, mid_values), (big, big_values)):
            r = h.query(self.port, fqdn(label), TXT, "tcp")
            self.assertEqual(r.tc, 0, "never TC over TCP")
            self.assertEqual(sorted(r.txt_values()), sorted(values))

        d = h.dig(self.port, fqdn(mid), "TXT", "+noedns", "+ignore")
        self.assertIn("tc", d.flags)
        self.assertEqual(d.rows("ANSWER"), [])
        k = h.kdig(self.port, fqdn(big), "TXT", "+bufsize=1232", "+ignore")
        self.assertIn("tc", k.flags)
        self.assertEqual(k.rows("ANSWER"), [])
        for client, fn in h.CLIENTS.items():  # default behaviour: retry over TCP, get everything
            with self.subTest(client=client):
                r = fn(self.port, fqdn(big), "TXT")
                self.assertEqual(len(r.rows("ANSWER", "TXT")), 8, r.stdout)
                self.assertNotIn("tc", r.flags)

    # -- ANY ------------------------------------------------------------------------------------
    def test_any_is_minimal(self):
        label = h.unique_label("any")
        self.add_values(label, [h.acme_value(8), h.acme_value(9)])
        for transport in TRANSPORTS:
            with self.subTest(transport=transport, name="label"):
                r = h.query(self.port, fqdn(label), ANY, transport)
                txt = h.query(self.port, fqdn(label), TXT, transport)
                self.assertEqual(r.rcode_text, "NOERROR")
                types = {rr.type for rr in r.answer}
                self.assertIn(types, ({TXT}, {HINFO}), "one RRset, RFC 8482")
                self.assertLessEqual(len(r.raw), len(txt.raw))
            with self.subTest(transport=transport, name="apex"):
                r = h.query(self.port, ZONE, ANY, transport)
                self.assertEqual(r.rcode_text, "NOERROR")
                self.assertIn({rr.type for rr in r.answer}, ({SOA}, {HINFO}), "one RRset at the apex")
                self.assertEqual(len(r.answer), 1)
        r = h.dig(self.port, ZONE, "ANY")
        self.assertEqual(r.status, "NOERROR")
        self.assertEqual(len(r.rows("ANSWER")), 1)

    # -- TCP ------------------------------------------------------------------------------------
    def test_tcp_pipelining(self):
        q1 = h.make_query(ZONE, SOA, qid=1001)
        q2 = h.make_query(ZONE, NS, qid=1002)
        q3 = h.make_query(f"x.{ZONE}", TXT, qid=1003)
        with h.tcp_connect(self.port) as s:
            s.sendall(h.frame(q1) + h.frame(q2) + h.frame(q3))  # one send, three messages
            replies = {}
            for _ in range(3):
                r = h.parse_message(h.tcp_read_message(s))
                replies[r.id] = r
        self.assertEqual(sorted(replies), [1001, 1002, 1003])
        self.assertEqual(replies[1001].answer[0].type, SOA)
        self.assertEqual({rr.type for rr in replies[1002].answer}, {NS})
        self.assertEqual(replies[1003].rcode_text, "NXDOMAIN")

    def test_tcp_message_split_across_writes(self):
        packet = h.frame(h.make_query(ZONE, SOA, qid=2024))
        with h.tcp_connect(self.port) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(len(packet)):  # a byte at a time: partial reads must be handled
                s.sendall(packet[i:i + 1])
            r = h.parse_message(h.tcp_read_message(s))
        self.assertEqual((r.id, r.rcode_text), (2024, "NOERROR"))

    def test_kdig_keepopen_several_queries(self):
        label = h.unique_label("ko")
        self.server.record_add(label, h.acme_value(10))
        cmd = ["kdig", f"@{h.HOST}", "-p", str(self.port), "+time=2", "+retry=0", "+tcp", "+keepopen",
               ZONE, "SOA", fqdn(label), "TXT", f"Mixed.{ZONE}", "A"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT).stdout
        self.assertEqual(out.count("status: NOERROR"), 3, out)
        self.assertIn(h.acme_value(10), out)
        self.assertIn("127.0.0.2", out)

    def test_tcp_idle_connection_closed(self):
        with h.tcp_connect(self.port) as s:
            started = time.monotonic()
            self.assertTrue(h.wait_closed(s, timeout=5.0), "idle connection not closed (timeout 500 ms)")
            self.assertGreaterEqual(time.monotonic() - started, 0.3, "closed before the idle timeout")
        with h.tcp_connect(self.port) as s:  # also after a served query
            s.sendall(h.frame(h.make_query(ZONE, SOA)))
            self.assertIsNotNone(h.tcp_read_message(s))
            self.assertTrue(h.wait_closed(s, timeout=5.0))

    def test_tcp_slow_message_closed_and_others_served(self):
        with h.tcp_connect(self.port) as slow:
            slow.sendall(b"\x00")  # half a length prefix, then silence
            self.assertTrue(self.server.answers_soa(transport="tcp"), "another client is served meanwhile")
            self.assertTrue(h.wait_closed(slow, timeout=5.0), "slow reader not closed (read timeout 1 s)")


if __name__ == "__main__":
    h.main()
