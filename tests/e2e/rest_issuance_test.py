"""End-to-end: a real ACME CA issues a certificate through acmezone's acme-dns REST API.

Topology, everything on 127.0.0.1 with free ports:
  acmezone   zone acme.example.test (DNS + REST API, registration "open")
  unbound    resolver for pebble and lego; holds the customer's zone example.test with
             `_acme-challenge.example.test. CNAME <subdomain>.acme.example.test.` as an auth-zone
             (for-upstream, so the iterator chases the CNAME; plain local-data CNAMEs are not
             chased) and reaches acmezone through a stub zone
  pebble     the ACME CA (Debian's pebble ships no certs: a throwaway CA is made with openssl)
  lego       the ACME client, `exec` provider in RAW mode: a small script POSTs /update with curl,
             exactly as an acme-dns client does (Debian's lego 4.9.1 lacks the acme-dns provider)

example.test and *.example.test validate at the same name. The exec provider solves one name at a
time, but lego's real acme-dns provider presents both before validation, so the test also checks that
acmezone still serves both posted values at the end. Standard library only; every subprocess is
bounded, every readiness wait polls a condition with a deadline, every process is stopped by PID.
"""

from __future__ import annotations

import e2e_support as e
from e2e_support import h


class RestIssuance(e.E2ETestCase):
    tools_needed = ("pebble", "lego", "unbound", "openssl", "curl")

    def test_wildcard_and_apex_issued_via_cname_delegation(self) -> None:
        server = self.start_acmezone()
        account = self.register()
        dns_port = self.start_unbound([e.cname_line(e.CHALLENGE, account["fulldomain"])])
        directory = self.start_pebble(dns_port)

        script, values_log = self.write_exec_script(account["username"], account["password"], account["subdomain"])
        domains = [e.CUSTOMER, f"*.{e.CUSTOMER}"]
        p, lego_dir = self.lego_exec(directory, dns_port, domains, script)
        self.assert_lego_certificate(p, lego_dir, domains)

        # Both values went through /update and acmezone still serves both (apex + wildcard).
        posted = values_log.read_text().split()
        self.assertEqual(len(posted), 2, posted)
        served = h.query(server.port, account["fulldomain"], h.TXT).txt_values()
        self.assertEqual(sorted(served), sorted(posted))


if __name__ == "__main__":
    e.main()
