#!/usr/bin/env python3
"""Regenerates the DNS seed corpora (fuzz/corpus/dns_responder_fuzz, dns_update_fuzz) from real
clients: a tiny loopback listener (UDP and TCP) records every message dig, kdig and nsupdate
send and answers REFUSED so they finish at once. TCP messages are stored without their
two-octet length prefix. Usage: fuzz/capture_dns_seeds.py (needs dig, kdig, nsupdate)."""

import hashlib
import socket
import struct
import subprocess
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ZONE = "acme.example.test"
KEY = "hmac-sha256:key.example.test:" + "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="
captured: list[bytes] = []


def refuse(msg: bytes) -> bytes:
    """The query's header and question back, QR set, RCODE REFUSED, no other sections."""
    if len(msg) < 12:
        return b""
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    off = 12
    if qd:
        while off < len(msg) and msg[off] and msg[off] & 0xC0 == 0:
            off += msg[off] + 1
        off = min(off + 5, len(msg))
    return struct.pack("!6H", qid, (flags | 0x8000) & 0xFFF0 | 5, min(qd, 1), 0, 0, 0) + msg[12:off]


def udp_loop(sock: socket.socket) -> None:
    while True:
        try:
            msg, peer = sock.recvfrom(65535)
        except OSError:
            return
        captured.append(msg)
        sock.sendto(refuse(msg), peer)


def tcp_loop(sock: socket.socket) -> None:
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(2)
            try:
                while True:
                    head = conn.recv(2, socket.MSG_WAITALL)
                    if len(head) < 2:
                        break
                    msg = conn.recv(struct.unpack("!H", head)[0], socket.MSG_WAITALL)
                    captured.append(msg)
                    reply = refuse(msg)
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                pass


def main() -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen()
    threading.Thread(target=udp_loop, args=(udp,), daemon=True).start()
    threading.Thread(target=tcp_loop, args=(tcp,), daemon=True).start()

    names = [ZONE, f"_acme-challenge.www.{ZONE}", f"a1b2.{ZONE}", f"MiXeD.{ZONE}", f"nope.deep.{ZONE}",
             "example.org", f"alias.{ZONE}"]
    dig = ["dig", "@127.0.0.1", "-p", str(port), "+time=1", "+tries=1"]
    kdig = ["kdig", "@127.0.0.1", "-p", str(port), "+time=1", "+retry=0"]
    runs = []
    for name, qtype in zip(names, ["SOA", "TXT", "TXT", "A", "AAAA", "NS", "CNAME"]):
        runs.append(dig + [name, qtype])
    runs += [dig + ["+dnssec", f"_acme-challenge.www.{ZONE}", "TXT"],
             dig + ["+noedns", ZONE, "NS"], dig + ["+edns=1", ZONE, "SOA"],
             dig + ["+bufsize=512", f"a1b2.{ZONE}", "TXT"], dig + ["+bufsize=4096", "+nsid", ZONE, "ANY"],
             dig + ["+cookie", f"a1b2.{ZONE}", "TXT"], dig + ["+subnet=192.0.2.0/24", ZONE, "SOA"],
             dig + ["+norec", "+cd", "+ad", ZONE, "CAA"], dig + ["+tcp", f"a1b2.{ZONE}", "TXT"],
             dig + ["+tcp", ZONE, "AXFR"], dig + [ZONE, "IXFR=2024010101"], dig + ["-c", "CH", "version.bind", "TXT"],
             dig + ["+opcode=2", ZONE, "SOA"], dig + ["+header-only", ZONE],
             dig + ["+zflag", "+ednsflags=0x80", "+ednsopt=65001:abcd", ZONE, "SOA"],
             dig + ["-y", KEY, f"a1b2.{ZONE}", "TXT"],
             kdig + [f"a1b2.{ZONE}", "TXT"], kdig + ["+dnssec", "+nsid", ZONE, "SOA"],
             kdig + ["+tcp", "+keepopen", f"_acme-challenge.www.{ZONE}", "TXT"], kdig + ["+padding=128", ZONE, "NS"],
             kdig + ["+noedns", f"MiXeD.{ZONE}", "A"], kdig + ["-y", KEY, ZONE, "SOA"]]
    for cmd in runs:
        subprocess.run(cmd, capture_output=True, timeout=10)

    updates = [
        f"update add a1b2.{ZONE}. 60 TXT \"LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmtoM\"",
        f"update delete a1b2.{ZONE}. TXT",
        f"prereq nxrrset a1b2.{ZONE}. TXT\nupdate add a1b2.{ZONE}. 60 TXT \"value\"",
        f"prereq yxdomain a1b2.{ZONE}.\nupdate delete a1b2.{ZONE}.",
        f"update delete a1b2.{ZONE}. TXT \"old\"\nupdate add a1b2.{ZONE}. 1 TXT \"new\"",
        f"update add _acme-challenge.www.example.com. 60 TXT \"alias\"",
    ]
    for i, body in enumerate(updates):
        zone = "example.com" if "example.com" in body else ZONE
        key = ["-y", KEY] if i != 1 else []
        script = f"server 127.0.0.1 {port}\nzone {zone}\n{body}\nsend\n"
        subprocess.run(["nsupdate", "-t", "1", "-u", "1", "-r", "0", *key], input=script.encode(),
                       capture_output=True, timeout=10)
    subprocess.run(["nsupdate", "-v", "-t", "2", "-y", KEY], capture_output=True, timeout=10,
                   input=f"server 127.0.0.1 {port}\nzone {ZONE}\nupdate add x.{ZONE}. 60 TXT \"tcp\"\nsend\n".encode())
    udp.close()
    tcp.close()

    for target, keep in (("dns_responder_fuzz", lambda m: True),
                         ("dns_update_fuzz", lambda m: len(m) >= 12 and ((m[2] >> 3) & 0xF == 5 or m[11] > 0))):
        folder = HERE / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for msg in captured:
            if keep(msg):
                (folder / hashlib.sha1(msg).hexdigest()).write_bytes(msg)
    print(f"captured {len(captured)} messages")


if __name__ == "__main__":
    main()
