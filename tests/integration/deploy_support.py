"""Helpers shared by docker_files_test.py and readme_test.py: a server started from a config
*file* as written by hand (not the harness's generated one, so the config under test is the one
shipped), text rewrites that must match exactly once, and the Debian package database (which
package owns a file, what a package pulls in). Standard library only, every wait bounded."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import harness as h

REPO = Path(__file__).resolve().parents[2]


def rewrite(text: str, old: str, new: str) -> str:
    """Replaces `old`, which must occur exactly once, so a moved or renamed line fails loudly."""
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"expected exactly one {old!r} in the text, found {count}")
    return text.replace(old, new)


def ipv6_loopback_usable() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_low_port(low: int = 900, high: int = 1000) -> int:
    """A port below 1024 free on 127.0.0.1 for UDP and TCP (for CAP_NET_BIND_SERVICE checks)."""
    for port in range(low, high):
        if h.port_is_free(port):
            return port
    raise AssertionError(f"no port in {low}..{high - 1} is free for UDP and TCP")


class ServerProcess:
    """`acmezone serve --config FILE`, optionally behind a command prefix (setpriv ...), ready
    when the log says event=ready and the zone's SOA is answered; SIGTERM must give exit 0."""

    def __init__(self, binary: str, config: Path, zone: str, dns_port: int, log_path: Path, *,
                 prefix: tuple = (), cwd: Path | None = None, env: dict | None = None):
        self.cmd = [*prefix, binary, "serve", "--config", str(config)]
        self.zone, self.port, self.log_path = zone, dns_port, log_path
        self.cwd, self.env = cwd, env
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, ready_timeout: float = 20.0) -> "ServerProcess":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=self.cwd, env=self.env)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._close()
                raise AssertionError(f"{' '.join(self.cmd)} exited early with {self.proc.returncode}:\n{self.log()}")
            if ("event=ready" in self.log() or '"event":"ready"' in self.log()) and self.answers_soa():
                return self
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f"acmezone not answering SOA {self.zone} within {ready_timeout}s:\n{self.log()}")

    def answers_soa(self) -> bool:
        try:
            reply = h.exchange(self.port, h.make_query(self.zone, h.SOA), "udp", 0.3)
        except (OSError, AssertionError, ValueError):
            return False
        return reply.rcode == 0 and reply.aa == 1 and any(rr.type == h.SOA for rr in reply.answer)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        """Stops it with `sig` and requires exit status 0 (a clean drain)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"acmezone did not stop within {timeout}s of signal {sig}:\n{self.log()}")
        self._close()
        if self.proc.returncode != 0:
            raise AssertionError(f"acmezone exited {self.proc.returncode} after signal {sig}:\n{self.log()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""


def binary_has_command(binary: str, *words: str) -> bool:
    """True when `acmezone <words[:-1]> --help` lists the subcommand words[-1] (CLI11 prints the
    parent's help, exit 0, for an unknown subcommand followed by --help, so that is no test)."""
    for depth in range(len(words)):
        p = subprocess.run([binary, *words[:depth], "--help"], capture_output=True, text=True,
                           timeout=h.SUBPROCESS_TIMEOUT)
        listed = re.search(r"^Subcommands:\n((?:  .*\n?)*)", p.stdout, re.M)
        if p.returncode != 0 or not listed or not re.search(rf"^  {re.escape(words[depth])}\s", listed.group(1), re.M):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# The Debian package database (read from /var/lib/dpkg: fast, and no dpkg -S per file)

_MERGED = ("/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/")


def _path_variants(path: str) -> list:
    """A path and its other spelling under Debian's merged /usr (/lib/x -> /usr/lib/x and back)."""
    variants = [path]
    if path.startswith(_MERGED):
        variants.append("/usr" + path)
    elif path.startswith("/usr/") and ("/" + path[5:]).startswith(_MERGED):
        variants.append(path[4:])
    real = os.path.realpath(path)
    if real != path:
        variants.append(real)
    return variants


class DpkgDatabase:
    """Which installed package owns a file, and the installed dependency closure of packages."""

    def __init__(self, root: Path = Path("/var/lib/dpkg")):
        self.owner: dict = {}
        for listing in (root / "info").glob("*.list"):
            package = listing.stem.split(":")[0]
            for line in listing.read_text(errors="replace").splitlines():
                if line and line != "/.":
                    self.owner.setdefault(line, package)
        self.depends: dict = {}
        self.provides: dict = {}
        self.installed: set = set()
        for stanza in (root / "status").read_text(errors="replace").split("\n\n"):
            fields = self._fields(stanza)
            name = fields.get("Package")
            if not name or "install ok installed" not in fields.get("Status", ""):
                continue
            self.installed.add(name)
            groups = []
            for key in ("Pre-Depends", "Depends"):
                for group in filter(None, (g.strip() for g in fields.get(key, "").split(","))):
                    groups.append([self._bare(alt) for alt in group.split("|")])
            self.depends[name] = groups
            for virtual in filter(None, (p.strip() for p in fields.get("Provides", "").split(","))):
                self.provides.setdefault(self._bare(virtual), set()).add(name)

    @staticmethod
    def _fields(stanza: str) -> dict:
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith((" ", "\t")) and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        return fields

    @staticmethod
    def _bare(dep: str) -> str:
        """'libc6 (>= 2.34)' / 'python3:any' -> the package name."""
        return re.split(r"[\s(:]", dep.strip(), maxsplit=1)[0]

    def package_of(self, path: str) -> str | None:
        for variant in _path_variants(path):
            if variant in self.owner:
                return self.owner[variant]
        return None

    def closure(self, packages) -> set:
        """The packages plus everything installed that they depend on, transitively (every
        installed alternative of an `a | b` group counts, virtual packages through Provides)."""
        seen, todo = set(), list(packages)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for group in self.depends.get(name, []):
                for alt in group:
                    for candidate in {alt, *self.provides.get(alt, ())}:
                        if candidate in self.installed and candidate not in seen:
                            todo.append(candidate)
        return seen


def install_deps_list(profile: str | None = None) -> list:
    """`scripts/install-deps.sh --list [PROFILE]`: the packages that profile installs."""
    p = subprocess.run([str(REPO / "scripts" / "install-deps.sh"), "--list", *([profile] if profile else [])],
                       capture_output=True,
                       text=True, timeout=h.SUBPROCESS_TIMEOUT)
    if p.returncode != 0:
        raise AssertionError(f"install-deps.sh --list {profile} exited {p.returncode}: {p.stderr}")
    return p.stdout.split()
