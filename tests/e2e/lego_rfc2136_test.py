"""End-to-end: lego's own `rfc2136` provider (TSIG-signed RFC 2136 UPDATEs) obtains a certificate
for example.test and *.example.test with the TSIG key of a credential issued by
`acmezone credential issue --domain example.test --scheme reverse --json`.

lego follows the customer's `_acme-challenge.example.test` CNAME (CNAME query to unbound), finds
the zone with unsigned SOA queries to acmezone (`<label>.acme.example.test.`: no SOA in the
answer means "go up"; `acme.example.test.`: the SOA) and sends delete-RRset + add-TXT for the
label, one name at a time; cleanup deletes the value again. Topology and tools: e2e_support.py.
"""

from __future__ import annotations

import e2e_support as e
from e2e_support import h


class LegoRfc2136(e.E2ETestCase):
    tools_needed = ("pebble", "lego", "unbound", "openssl")

    def test_apex_and_wildcard_issued_with_credential_tsig_key(self) -> None:
        server = self.start_acmezone()
        cred = self.issue_credential(e.CUSTOMER, "reverse")
        tsig = cred["tsig"]
        self.assertIsInstance(tsig, dict, cred)
        self.assertEqual(tsig["algorithm"], "hmac-sha256", tsig)

        # What lego's zone search relies on (its SOA queries are unsigned, RD=1, to
        # RFC2136_NAMESERVER): the label is not a zone (NOERROR without SOA or NXDOMAIN: go up),
        # the apex is (SOA in the answer). REFUSED on either would abort lego.
        label_soa = h.exchange(server.port, h.make_query(cred["fulldomain"], h.SOA, rd=True))
        self.assertIn(label_soa.rcode, (0, 3), label_soa)
        self.assertFalse(any(rr.type == h.SOA for rr in label_soa.answer), label_soa)
        apex_soa = h.exchange(server.port, h.make_query(h.ZONE, h.SOA, rd=True))
        self.assertEqual(apex_soa.rcode, 0, apex_soa)
        self.assertTrue(any(rr.type == h.SOA for rr in apex_soa.answer), apex_soa)

        dns_port = self.start_unbound([cred["cname"]])
        directory = self.start_pebble(dns_port)
        domains = [e.CUSTOMER, f"*.{e.CUSTOMER}"]
        p, lego_dir = self.lego(directory, dns_port, domains, "rfc2136", {
            "RFC2136_NAMESERVER": f"127.0.0.1:{server.port}",
            "RFC2136_TSIG_KEY": tsig["name"],
            "RFC2136_TSIG_SECRET": tsig["secret"],
            "RFC2136_TSIG_ALGORITHM": "hmac-sha256.",
            "RFC2136_TTL": "1",
            # rfc2136 is a sequential provider: 60 s between names by default.
            "RFC2136_SEQUENCE_INTERVAL": "1",
            "RFC2136_PROPAGATION_TIMEOUT": "30",
            "RFC2136_POLLING_INTERVAL": "1"})
        self.assert_lego_certificate(p, lego_dir, domains)

        # Each name was added and cleaned up through RFC 2136: the label holds nothing any more,
        # and the audit log shows the credential's updates of its own label.
        self.assertEqual(h.query(server.port, cred["fulldomain"], h.TXT).txt_values(), [])
        updates = self.audit_events("--kind", "update")
        self.assertEqual(len(updates), 4, updates)  # per name: delete-RRset + add, then delete the value
        for ev in updates:
            self.assertEqual((ev["actor"], ev["label"], ev["outcome"]), (cred["username"], cred["subdomain"], "ok"), ev)
            self.assertTrue(ev["source"].startswith("rfc2136 "), ev)


if __name__ == "__main__":
    e.main()
