#!/usr/bin/env python3
"""docker/ without a Docker engine (none runs here or in this repository's CI; the image is
built elsewhere): what can be checked is checked against the real files and the real binary.

- Dockerfile: both stages on debian:bookworm-slim; the build stage runs exactly the scripts CI
  runs (scripts/install-deps.sh, scripts/build.sh), the runtime stage installs the
  install-deps.sh "runtime" list; every file it copies exists and is in the build context; it
  runs as a non-root user, keeps [store] path on the VOLUME, exposes DNS and the API port of the
  container config, and its HEALTHCHECK is a script it copies.
- Packages: the runtime list covers every library `ldd` shows for the built binary (each NEEDED
  library's package listed by name, the rest pulled in by their dependencies), and the build list
  covers every system header and library the build of the binary used (its compiler depfiles and
  link line), both mapped to packages through dpkg's database.
- docker/acmezone.toml: the real binary serves it (ports moved to free loopback ports, the store
  to a temporary folder) and `acmezone config check` accepts it unchanged when that command exists;
  docker/healthcheck.sh passes against that server and fails when DNS or the API is wrong.
- compose.yaml parses as YAML and agrees with the Dockerfile and the container config.
hadolint is not packaged for Debian 12, so no Dockerfile linter runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import tempfile
import tomllib
import unittest
from pathlib import Path

import yaml

import deploy_support as ds
import harness as h

DOCKER = ds.REPO / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
CONTAINER_CONFIG = DOCKER / "acmezone.toml"
HEALTHCHECK = DOCKER / "healthcheck.sh"
COMPOSE = DOCKER / "compose.yaml"

# Libraries only sanitizer builds link (scripts/test.sh runs this test against the ASan build
# too); the image's Release build never does.
SANITIZER_RUNTIMES = re.compile(r"^lib(asan|ubsan|tsan|lsan|hwasan)\.so")


def instructions(text: str) -> list:
    """(INSTRUCTION, arguments) pairs of a Dockerfile: comments dropped, continuations joined."""
    out, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment line inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, args = current.partition(" ")
        out.append((keyword.upper(), args.strip()))
        current = ""
    assert not current, f"Dockerfile ends inside a continued line: {current!r}"
    return out


def stages(text: str) -> list:
    """The Dockerfile's stages: lists of instructions, each starting with its FROM."""
    result = []
    for instr in instructions(text):
        if instr[0] == "FROM":
            result.append([])
        assert result, "an instruction before the first FROM"
        result[-1].append(instr)
    return result


def exec_form(args: str) -> list:
    """["a", "b"] JSON exec form or a shell-form string, as argv."""
    args = args.strip()
    if args.startswith("["):
        import json
        return json.loads(args)
    return shlex.split(args)


def dockerignore_patterns() -> list:
    ignore = DOCKER / "Dockerfile.dockerignore"
    return [line.strip() for line in ignore.read_text().splitlines() if line.strip() and not line.startswith("#")]


def ignored_by_context(relpath: str, patterns: list) -> bool:
    """Enough of .dockerignore matching for the patterns used there (name, dir/, **/name, prefix*)."""
    import fnmatch
    parts = relpath.split("/")
    for pattern in patterns:
        p = pattern.rstrip("/")
        if p.startswith("**/"):
            if any(fnmatch.fnmatch(part, p[3:]) for part in parts):
                return True
        elif fnmatch.fnmatch(parts[0], p) or fnmatch.fnmatch(relpath, p):
            return True
    return False


class DockerFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = DOCKERFILE.read_text()
        cls.stages = stages(cls.text)
        cls.config = tomllib.loads(CONTAINER_CONFIG.read_text())
        cls.dpkg = ds.DpkgDatabase()

    def runs(self, stage: list) -> list:
        return [args for kind, args in stage if kind == "RUN"]

    # -- Dockerfile -------------------------------------------------------------------------------
    def test_two_stages_on_bookworm_slim(self):
        self.assertEqual(len(self.stages), 2, self.stages)
        for stage in self.stages:
            self.assertRegex(stage[0][1], r"^debian:bookworm-slim(\s|$)", stage[0])
        self.assertRegex(self.stages[0][0][1], r"\bAS\s+build$")

    def test_build_stage_runs_the_ci_scripts(self):
        runs = " && ".join(self.runs(self.stages[0]))
        # The same scripts CI runs (scripts/test.sh calls both); "build" limits install-deps.sh to
        # what a build without tests needs.
        self.assertRegex(runs, r"(^|&& )scripts/install-deps\.sh build\b")
        self.assertRegex(runs, r"\bBUILD_TESTS=OFF scripts/build\.sh\b")
        test_sh = (ds.REPO / "scripts" / "test.sh").read_text()
        self.assertIn("scripts/install-deps.sh", test_sh)
        self.assertIn("scripts/build.sh", test_sh)
        runtime_runs = " && ".join(self.runs(self.stages[1]))
        self.assertRegex(runtime_runs, r"install-deps\.sh runtime\b")
        self.assertNotIn("bind9-dnsutils", runtime_runs, "the health check needs no dig")

    def test_copied_files_exist_and_are_in_the_build_context(self):
        patterns = dockerignore_patterns()
        sources = []
        for stage in self.stages:
            for kind, args in stage:
                if kind != "COPY" or args.startswith("--from="):
                    continue
                words = exec_form(args)
                sources += [w for w in words[:-1] if not w.startswith("--")]
        self.assertIn("scripts/install-deps.sh", sources)
        for src in sources:
            with self.subTest(src=src):
                if src == ".":
                    continue
                self.assertTrue((ds.REPO / src).exists(), f"COPY {src}: no such file in the repository")
                self.assertFalse(ignored_by_context(src, patterns), f"COPY {src} is excluded by the .dockerignore")
        for needed in ("scripts/build.sh", "scripts/install-deps.sh", "CMakeLists.txt", "src/app/main.cpp"):
            self.assertFalse(ignored_by_context(needed, patterns), needed)
        self.assertTrue(ignored_by_context("build/acmezone", patterns), "build folders should stay out of the context")
        self.assertTrue(os.access(HEALTHCHECK, os.X_OK), "docker/healthcheck.sh must be executable (COPY keeps the mode)")

    def test_runtime_stage_user_volume_ports_and_healthcheck(self):
        runtime = self.stages[1]
        users = [args for kind, args in runtime if kind == "USER"]
        self.assertEqual(len(users), 1, users)
        self.assertNotIn(users[0].split(":")[0], ("root", "0"))
        volumes = [args for kind, args in runtime if kind == "VOLUME"]
        self.assertEqual(len(volumes), 1, volumes)
        store = Path(self.config["store"]["path"])
        self.assertEqual(store.parent, Path(volumes[0]), "[store] path must live on the volume")

        exposed = set(" ".join(args for kind, args in runtime if kind == "EXPOSE").split())
        dns_ports = {int(a.rsplit(":", 1)[1]) for a in self.config["dns"]["listen"]}
        api_ports = {int(a.rsplit(":", 1)[1]) for a in self.config["api"]["listen"]}
        self.assertEqual(dns_ports, {53})
        for port in dns_ports:
            self.assertTrue({f"{port}/udp", f"{port}/tcp"} <= exposed, exposed)
        for port in api_ports:
            self.assertTrue(f"{port}/tcp" in exposed or str(port) in exposed, (port, exposed))

        copies = {}
        for kind, args in runtime:
            if kind == "COPY" and not args.startswith("--from="):
                src, dst = exec_form(args)[-2:]
                copies[dst] = src
        cmd = exec_form(next(args for kind, args in runtime if kind == "CMD"))
        config_in_image = cmd[cmd.index("--config") + 1]
        self.assertEqual(copies.get(config_in_image), "docker/acmezone.toml", copies)

        checks = [args for kind, args in runtime if kind == "HEALTHCHECK"]
        self.assertEqual(len(checks), 1, checks)
        check_cmd = exec_form(checks[0].split("CMD", 1)[1])
        self.assertEqual(copies.get(check_cmd[0]), "docker/healthcheck.sh", (check_cmd, copies))
        env = " ".join(args for kind, args in runtime if kind == "ENV")
        self.assertIn(f"ACMEZONE_CONFIG={config_in_image}", env)
        self.assertIn("ACMEZONE_HEALTH_DNS=127.0.0.1:53", env)
        self.assertIn(f"ACMEZONE_HEALTH_API=127.0.0.1:{min(api_ports)}", env)

    # -- packages ---------------------------------------------------------------------------------
    def ldd(self) -> dict:
        """soname -> resolved path, from ldd of the binary under test."""
        p = subprocess.run(["ldd", h.BINARY], capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        libs = {}
        for line in p.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (\S+) \(", line) or re.match(r"\s*(/\S+) \(", line)
            if not m:
                continue  # linux-vdso: no file
            if m.lastindex == 2:
                self.assertNotEqual(m.group(2), "not", f"ldd: {line.strip()}")
                libs[m.group(1)] = m.group(2)
            else:
                libs[os.path.basename(m.group(1))] = m.group(1)
        self.assertFalse([line for line in p.stdout.splitlines() if "not found" in line], p.stdout)
        return libs

    def needed(self) -> list:
        p = subprocess.run(["objdump", "-p", h.BINARY], capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        return re.findall(r"^\s*NEEDED\s+(\S+)$", p.stdout, re.M)

    def test_runtime_packages_cover_every_library_the_binary_loads(self):
        runtime = ds.install_deps_list("runtime")
        closure = self.dpkg.closure(runtime)
        libs = self.ldd()
        needed = self.needed()
        self.assertIn("libstdc++.so.6", needed)
        for soname in needed:
            with self.subTest(needed=soname):
                if SANITIZER_RUNTIMES.match(soname):
                    continue
                self.assertIn(soname, libs, f"ldd does not resolve NEEDED {soname}")
                package = self.dpkg.package_of(libs[soname])
                self.assertIsNotNone(package, f"no installed package owns {libs[soname]}")
                # Named explicitly: a direct dependency must not ride on another package's.
                self.assertIn(package, runtime, f"{soname} ({package}) is missing from install-deps.sh's runtime list")
        for soname, path in libs.items():
            with self.subTest(library=soname):
                if SANITIZER_RUNTIMES.match(soname):
                    continue
                package = self.dpkg.package_of(path)
                self.assertIsNotNone(package, f"no installed package owns {path}")
                self.assertIn(package, closure, f"{path} ({package}) is not pulled in by the runtime list")
        for package in runtime:
            self.assertIn(package, self.dpkg.installed, f"runtime package {package} is not a Debian 12 package here")

    def build_dir(self) -> Path:
        build = Path(h.BINARY).resolve().parent
        self.assertTrue((build / "CMakeCache.txt").is_file(), f"{build} is not the binary's CMake build folder")
        return build

    def test_build_packages_cover_what_the_build_used(self):
        build = self.build_dir()
        system_files = set()
        depfiles = list((build / "src").rglob("*.o.d"))
        self.assertTrue(depfiles, f"no compiler depfiles under {build / 'src'}")
        for depfile in depfiles:
            text = depfile.read_text(errors="replace").replace("\\\n", " ")
            for word in text.split()[1:]:
                if word.startswith("/") and not word.startswith((str(ds.REPO), str(build))):
                    system_files.add(word)
        link = (build / "src" / "app" / "CMakeFiles" / "acmezone.dir" / "link.txt").read_text()
        for word in link.split():
            if word.startswith("/usr/") and (".so" in word or word.endswith(".a")):
                system_files.add(word)
            elif word.startswith("-l"):
                for libdir in ("/usr/lib/x86_64-linux-gnu", "/usr/lib"):
                    for candidate in (f"{libdir}/lib{word[2:]}.so", f"{libdir}/lib{word[2:]}.a"):
                        if os.path.exists(candidate):
                            system_files.add(candidate)
                            break
        self.assertTrue(any("/usr/include/ldns" in f for f in system_files), "ldns headers not seen: wrong depfiles?")
        # The tools: compiler, make, pkg-config and cmake as the cache names them (the image also strips).
        cache = (build / "CMakeCache.txt").read_text()
        for key in ("CMAKE_CXX_COMPILER", "CMAKE_MAKE_PROGRAM", "PKG_CONFIG_EXECUTABLE", "CMAKE_COMMAND", "CMAKE_STRIP"):
            m = re.search(rf"^{key}:\w+=(/\S+)$", cache, re.M)
            if m is None and key == "CMAKE_COMMAND":
                m = re.search(r"^CMAKE_COMMAND:INTERNAL=(/\S+)$", cache, re.M)
            self.assertIsNotNone(m, f"{key} not in {build / 'CMakeCache.txt'}")
            system_files.add(m.group(1))
        build_list = ds.install_deps_list("build")
        closure = self.dpkg.closure(build_list)
        missing = {}
        for path in sorted(system_files):
            package = self.dpkg.package_of(path)
            self.assertIsNotNone(package, f"no installed package owns {path}")
            if package not in closure and "sanitizer" not in path:
                missing.setdefault(package, path)
        self.assertEqual(missing, {}, "packages the build used that install-deps.sh build does not bring")

    def test_install_deps_profiles(self):
        everything = set(ds.install_deps_list("all"))
        self.assertEqual(ds.install_deps_list(), sorted(everything, key=ds.install_deps_list("all").index))
        self.assertTrue(set(ds.install_deps_list("build")) <= everything, "CI must install what the image builds with")
        # CI installs the -dev packages, which pull in the runtime libraries.
        self.assertTrue(set(ds.install_deps_list("runtime")) <= self.dpkg.closure(everything))
        self.assertTrue({"python3-yaml", "jq", "libcap2-bin"} <= everything, "the README and Docker tests need these")
        p = subprocess.run([str(ds.REPO / "scripts" / "install-deps.sh"), "--list", "nonsense"], capture_output=True,
                           text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("unknown profile", p.stderr)

    # -- compose.yaml -----------------------------------------------------------------------------
    def test_compose_file(self):
        compose = yaml.safe_load(COMPOSE.read_text())
        service = compose["services"]["acmezone"]
        context = (COMPOSE.parent / service["build"]["context"]).resolve()
        self.assertEqual(context, ds.REPO)
        self.assertEqual((context / service["build"]["dockerfile"]).resolve(), DOCKERFILE)
        volumes = {}
        for entry in service["volumes"]:
            src, dst = entry.split(":")[:2]
            volumes[dst] = src
        volume_dir = next(args for kind, args in self.stages[1] if kind == "VOLUME")
        self.assertIn(volumes.get(volume_dir), compose.get("volumes", {}), "the data volume must be a named volume")
        config_mount = volumes.get("/etc/acmezone/acmezone.toml")
        self.assertEqual((COMPOSE.parent / config_mount).resolve(), CONTAINER_CONFIG)
        ports = set(service["ports"])
        self.assertTrue({"53:53/udp", "53:53/tcp"} <= ports, ports)
        api_port = int(self.config["api"]["listen"][0].rsplit(":", 1)[1])
        self.assertIn(f"127.0.0.1:{api_port}:{api_port}/tcp", ports, "the plain-HTTP API is published on loopback only")
        if "ALL" in service.get("cap_drop", []):
            # The binary's file capability cannot be exec'd unless it is in the bounding set.
            self.assertIn("NET_BIND_SERVICE", service.get("cap_add", []))
        self.assertEqual(str(service["sysctls"]["net.ipv4.ip_unprivileged_port_start"]), "0")
        self.assertIn("setcap cap_net_bind_service=+ep /usr/local/bin/acmezone", self.text)

    # -- the container config on the real binary, and the health check --------------------------
    def test_container_config_serves_and_the_healthcheck_passes(self):
        original = CONTAINER_CONFIG.read_text()
        if ds.binary_has_command(h.BINARY, "config", "check"):
            p = subprocess.run([h.BINARY, "config", "check", str(CONTAINER_CONFIG)], capture_output=True, text=True,
                               timeout=h.SUBPROCESS_TIMEOUT)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        zone = self.config["zone"]["name"]
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-docker-")))
            dns_port, api_port = h.free_port(), h.free_port()
            dns_listen = f'"127.0.0.1:{dns_port}", "[::1]:{dns_port}"' if ds.ipv6_loopback_usable() \
                else f'"127.0.0.1:{dns_port}"'
            text = ds.rewrite(original, 'listen = ["0.0.0.0:53", "[::]:53"]', f"listen = [{dns_listen}]")
            text = ds.rewrite(text, 'listen = ["0.0.0.0:8080"]', f'listen = ["127.0.0.1:{api_port}"]')
            text = ds.rewrite(text, 'path = "/var/lib/acmezone/data"', f'path = "{tmp / "data"}"')
            config = tmp / "acmezone.toml"
            config.write_text(text)
            server = ds.ServerProcess(h.BINARY, config, zone, dns_port, tmp / "server.log").start()
            stack.callback(server.kill)
            self.assertEqual(oct((tmp / "data").stat().st_mode & 0o777), "0o700")

            def healthcheck(**env) -> subprocess.CompletedProcess:
                full = {**os.environ, "ACMEZONE_CONFIG": str(config), "ACMEZONE_HEALTH_DNS": f"127.0.0.1:{dns_port}",
                        "ACMEZONE_HEALTH_API": f"127.0.0.1:{api_port}", "ACMEZONE_HEALTH_TIMEOUT": "3", **env}
                return subprocess.run([str(HEALTHCHECK)], capture_output=True, text=True, env=full,
                                      timeout=h.SUBPROCESS_TIMEOUT)

            ok = healthcheck()
            self.assertEqual(ok.returncode, 0, ok.stderr)
            if ds.ipv6_loopback_usable():
                ok6 = healthcheck(ACMEZONE_HEALTH_DNS=f"[::1]:{dns_port}", ACMEZONE_HEALTH_API="")
                self.assertEqual(ok6.returncode, 0, ok6.stderr)
            # It must be able to fail: a zone we do not serve, a closed DNS port, a wrong API path.
            for env, reason in (({"ACMEZONE_ZONE": "example.org"}, "not authoritative"),
                                ({"ACMEZONE_HEALTH_DNS": f"127.0.0.1:{h.free_port()}"}, "cannot connect"),
                                ({"ACMEZONE_HEALTH_PATH": "/no-such-path"}, "404"),
                                ({"ACMEZONE_HEALTH_API": f"127.0.0.1:{h.free_port()}"}, "cannot connect")):
                with self.subTest(env=env):
                    bad = healthcheck(**env)
                    self.assertEqual(bad.returncode, 1, bad.stderr)
                    self.assertIn(reason, bad.stderr)
            server.stop()
            down = healthcheck()
            self.assertEqual(down.returncode, 1, "healthy with the server stopped")


if __name__ == "__main__":
    h.main()
