"""What readme_test.py does with each tagged code block of README.md.

Run: the test runs the block (its commands as written, SUBSTITUTIONS aside); `skip` lists
commands of the block it cannot run, each with the reason and what covers it instead.
Elsewhere: nothing in the block can run here; every command is listed with the reason and,
where a test elsewhere covers it, a file that must contain the given strings (the evidence).
Data: a configuration or zone snippet; readme_test.py parses and checks it.

A README command that is in none of these makes readme_test.py fail."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    why: str
    evidence: tuple = ()  # (repository file, strings it must contain) pairs


@dataclass(frozen=True)
class Run:
    skip: dict = field(default_factory=dict)  # command key -> Reason
    cwd: str = "context"                      # "repo": run from the repository root


@dataclass(frozen=True)
class Elsewhere:
    commands: dict                            # command key -> Reason


@dataclass(frozen=True)
class Data:
    pass


CI = Reason("CI runs it: .ci/run execs scripts/test.sh, which runs scripts/install-deps.sh and scripts/build.sh "
            "first; running it here would rebuild the build folder under test",
            (("scripts/test.sh", ("scripts/install-deps.sh", "scripts/build.sh")), (".ci/run", ("exec scripts/test.sh",))))
HOST_ACCOUNT = Reason("changes the host's accounts; docker/Dockerfile makes the same user and folder",
                      (("docker/Dockerfile", ("useradd --system", "install -d -o acmezone -g acmezone -m 0700")),))
SYSTEMD = Reason("systemd does not run here or in CI; the unit file is config/acmezone.service")
NO_DOCKER = Reason("no Docker engine here or in CI (the image is built by CI elsewhere); "
                   "tests/integration/docker_files_test.py checks the Dockerfile, compose.yaml, the container "
                   "config and the health check", (("tests/integration/docker_files_test.py", ("Dockerfile",)),))
NO_KUBERNETES = Reason("no Kubernetes here; the accounts file and the TSIG secret it stores are made and used "
                       "by the 'send' and 'selftest' blocks, which run")
NO_ACME_SH = Reason("acme.sh is not packaged for Debian 12; its dns_acmedns sends the /update request and its "
                    "dns_nsupdate runs nsupdate -k with the key file, as the 'selftest' block does (run here)")
LEGO_RFC2136 = Reason("needs a real ACME CA and public DNS: tests/e2e/lego_rfc2136_test.py runs Debian's lego with "
                      "the rfc2136 provider and these variables against pebble",
                      (("tests/e2e/lego_rfc2136_test.py", ("RFC2136_NAMESERVER", "RFC2136_TSIG_KEY",
                                                           "RFC2136_TSIG_SECRET", "RFC2136_TSIG_ALGORITHM",
                                                           '"hmac-sha256."')),))
LEGO_ACMEDNS = Reason("Debian 12's lego 4.9.1 is built without the acme-dns provider; tests/e2e/"
                      "rest_issuance_test.py issues through lego with the same REST requests (exec provider)",
                      (("tests/e2e/rest_issuance_test.py", ("/update", "lego")),))
CERTBOT_RFC2136 = Reason("needs a real ACME CA: tests/e2e/certbot_alias_test.py runs stock certbot with "
                         "certbot-dns-rfc2136 and this credentials file against pebble (alias mode)",
                         (("tests/e2e/certbot_alias_test.py", ("--dns-rfc2136-credentials", "dns_rfc2136_algorithm")),))
CERTBOT_MANUAL = Reason("needs a real ACME CA; the hook it runs is run by this test ('certbot-hook' block) with the "
                        "CERTBOT_DOMAIN and CERTBOT_VALIDATION certbot sets")

PLANS = {
    "quickstart": Elsewhere({
        "scripts/run.sh": Reason(
            "it is scripts/install-deps.sh + scripts/build.sh (run by CI) + `acmezone serve --config "
            "config/acmezone.toml`, which readme_test.py checks run.sh still is and then runs itself with the "
            "shipped config (ports moved) for the quick-start blocks",
            (("scripts/run.sh", ("scripts/install-deps.sh", "scripts/build.sh", 'serve --config "$config"')),)),
        "scripts/test.sh": Reason("the CI entry point: .ci/run execs it", ((".ci/run", ("exec scripts/test.sh",)),)),
    }),
    "quickstart-dig": Run(),
    "quickstart-records": Run(),
    "quickstart-token": Run(),
    "quickstart-rest": Run(),
    "install": Run(cwd="repo", skip={
        "scripts/build.sh": CI,
        "useradd --system --home-dir /var/lib/acmezone --shell /usr/sbin/nologin acmezone": HOST_ACCOUNT,
        "install -d -o acmezone -g acmezone -m 0700 /var/lib/acmezone": HOST_ACCOUNT,
    }),
    "production-config": Data(),
    "config-check": Run(),
    "parent-zone": Data(),
    "delegation-check": Run(),
    "systemd": Elsewhere({
        "install -D -m 0644 config/acmezone.service /etc/systemd/system/acmezone.service": SYSTEMD,
        "systemctl daemon-reload": SYSTEMD,
        "systemctl enable --now acmezone": SYSTEMD,
        "systemctl reload acmezone": SYSTEMD,
        "journalctl -u acmezone -f": SYSTEMD,
    }),
    "setcap": Run(skip={
        "runuser -u acmezone -- /usr/local/bin/acmezone serve --config /etc/acmezone/acmezone.toml": Reason(
            "needs the acmezone account and runs in the foreground; readme_test.py starts the same setcap'd "
            "copy as nobody (setpriv) on a port below 1024 and checks it serves with only CAP_NET_BIND_SERVICE"),
    }),
    "issue": Run(),
    "send": Run(),
    "check": Run(),
    "selftest": Run(),
    "manage": Run(),
    "lego-rfc2136": Elsewhere({
        'RFC2136_NAMESERVER=192.0.2.53:53 RFC2136_TSIG_KEY=com-example-www.acme.example.net. '
        'RFC2136_TSIG_ALGORITHM=hmac-sha256. RFC2136_TSIG_SECRET="$(jq -r .tsig.secret www.example.com.json)" '
        'lego --email admin@example.com --accept-tos --dns rfc2136 -d www.example.com run': LEGO_RFC2136,
    }),
    "lego-acmedns": Elsewhere({
        "ACME_DNS_API_BASE=https://acme-api.example.net ACME_DNS_STORAGE_PATH=/etc/lego/acmedns.json "
        "lego --email admin@example.com --accept-tos --dns acme-dns -d www.example.com run": LEGO_ACMEDNS,
    }),
    "certbot-ini": Data(),
    "certbot-rfc2136": Elsewhere({
        "certbot certonly --dns-rfc2136 --dns-rfc2136-credentials /etc/letsencrypt/acmezone.ini -d www.example.com":
            CERTBOT_RFC2136,
    }),
    "certbot-hook": Run(),
    "certbot-manual": Elsewhere({
        "certbot certonly --manual --preferred-challenges dns --manual-auth-hook /etc/letsencrypt/acmezone-hook.sh "
        "-d www.example.com": CERTBOT_MANUAL,
    }),
    "acmesh-acmedns": Elsewhere({
        "export ACMEDNS_BASE_URL=https://acme-api.example.net": NO_ACME_SH,
        'export ACMEDNS_USERNAME="$(jq -r .username www.example.com.json)"': NO_ACME_SH,
        'export ACMEDNS_PASSWORD="$(jq -r .password www.example.com.json)"': NO_ACME_SH,
        "export ACMEDNS_SUBDOMAIN=com-example-www": NO_ACME_SH,
        "acme.sh --issue --dns dns_acmedns -d www.example.com": NO_ACME_SH,
    }),
    "acmesh-nsupdate": Elsewhere({
        "export NSUPDATE_SERVER=192.0.2.53": NO_ACME_SH,
        "export NSUPDATE_SERVER_PORT=53": NO_ACME_SH,
        "export NSUPDATE_KEY=/etc/acme.sh/www.example.com.key": NO_ACME_SH,
        "export NSUPDATE_ZONE=acme.example.net": NO_ACME_SH,
        "acme.sh --issue --dns dns_nsupdate -d www.example.com --domain-alias com-example-www.acme.example.net":
            NO_ACME_SH,
    }),
    "cert-manager-acmedns-secret": Elsewhere({
        "kubectl -n cert-manager create secret generic acmezone-acmedns --from-file=acmedns.json": NO_KUBERNETES,
    }),
    "cert-manager-acmedns": Data(),
    "cert-manager-rfc2136-secret": Elsewhere({
        "kubectl -n cert-manager create secret generic acmezone-tsig "
        '--from-literal=secret="$(jq -r .tsig.secret www.example.com.json)"': NO_KUBERNETES,
    }),
    "cert-manager-rfc2136": Data(),
    "caddyfile": Data(),
    "traefik": Data(),
    "import": Run(),
    "backup": Run(),
    "restore": Run(skip={
        "systemctl stop acmezone": Reason("systemd does not run here; the test stops the server itself (SIGTERM, "
                                          "exit 0) before the cp"),
        "systemctl start acmezone": Reason("systemd does not run here; the test starts the server itself after "
                                           "the cp and checks what it serves"),
    }),
    "monitoring": Run(),
    "logging": Data(),
    "caa": Data(),
    "rrl": Data(),
    "secondaries": Data(),
    "propagation": Elsewhere({
        "acmezone propagation --config /etc/acmezone/acmezone.toml --label com-example-www": Reason(
            "needs running secondaries: tests/integration/notify_test.py runs Knot and NSD as secondaries and checks "
            "this command's report (all caught up, then not while NSD is stopped)",
            (("tests/integration/notify_test.py", ('"propagation", "--config"', '"--label"')),)),
    }),
    "docker": Elsewhere({
        "docker build -f docker/Dockerfile -t acmezone:0.1.0 .": NO_DOCKER,
        "docker compose -f docker/compose.yaml up -d": NO_DOCKER,
    }),
    # Run with -N (list the tests the filter selects, each list must be non-empty): running ctest
    # from inside ctest would run the whole suite again, this test included.
    "ctest": Run(),
}
