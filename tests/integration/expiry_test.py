#!/usr/bin/env python3
"""zone.txt_max_age_seconds: the server deletes TXT values older than the age through its
writer (serial bump included), leaves younger ones alone, and keeps everything with the
default 0 (acme-dns behaviour)."""

import time
import unittest

import harness as h

MAX_AGE = 2


def txt_values(server: h.Server, label: str) -> list:
    return sorted(row[-1].strip('"') for row in h.dig(server.port, h.fqdn(label), "TXT").rows("ANSWER", "TXT"))


def serial(server: h.Server) -> int:
    return int(h.dig(server.port, h.ZONE, "SOA").rows("ANSWER", "SOA")[0][-1].split()[2])


class Expiry(h.ServerTestCase):
    overrides = {"zone": {"txt_max_age_seconds": MAX_AGE}}

    def test_old_values_are_swept_young_ones_kept(self):
        old = h.unique_label("old")
        self.server.record_add(old, h.acme_value(1))
        self.assertEqual(txt_values(self.server, old), [h.acme_value(1)])
        before = serial(self.server)
        self.wait_until(lambda: txt_values(self.server, old) == [], timeout=MAX_AGE + 10, what="the old value to expire")
        self.assertGreater(serial(self.server), before)
        self.assertIn("event=txt_expiry outcome=ok", self.server.log())
        # A value written now is served for (about) the age, not removed by the next sweep at once.
        young = h.unique_label("young")
        self.server.record_add(young, h.acme_value(2))
        self.assertEqual(txt_values(self.server, young), [h.acme_value(2)])


class NoExpiryByDefault(h.ServerTestCase):
    def test_values_stay(self):
        label = h.unique_label("kept")
        self.server.record_add(label, h.acme_value(3))
        # The sweeper is off: nothing logs it, and the value is still there after a while.
        self.assertNotIn("event=txt_expiry", self.server.log())
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            self.assertEqual(txt_values(self.server, label), [h.acme_value(3)])
            time.sleep(0.5)


if __name__ == "__main__":
    h.main()
