// app/commands: the CLI commands behind main's argument parsing. Each returns the process exit
// code: 0 success, 1 runtime failure (bind, store, a refused change), 2 usage or config error.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace acmezone::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct ServeArgs {
    std::string config;
};

struct RecordArgs {
    std::string config;
    std::string label;                 // relative to the zone
    std::optional<std::string> value;  // add: required; del: optional (absent = the whole RRset)
};

struct TokenArgs {
    std::string name;  // what the token is for; shown in logs of registrations made with it
};

int run_serve(const ServeArgs& args);
// `acmezone token new --name NAME`: prints a fresh admin token and the config lines to add.
int run_token_new(const TokenArgs& args);
int run_record_add(const RecordArgs& args);
int run_record_del(const RecordArgs& args);
int run_record_list(const RecordArgs& args);

struct ImportArgs {
    std::string config;
    std::string sqlite;  // acme-dns SQLite database file
    bool dry_run = false;
};
// `acmezone import acme-dns --sqlite FILE [--dry-run]` (app/cli_import.cpp).
int run_import_acme_dns(const ImportArgs& args);

struct CheckArgs {
    std::string config;
    std::string domain;  // customer name (www.example.com); "" with --all
    std::string label;   // with a domain: the label to expect (for credentials whose labels carry no domain)
    bool all = false;
    bool json = false;
};
// `acmezone check DOMAIN | --all [--json]` (app/cli_check.cpp): the customer's CNAME delegation.
int run_check(const CheckArgs& args);

struct PropagationArgs {
    std::string config;
    std::string label;  // "" for the SOA serial alone
    bool json = false;
};
// `acmezone propagation --config F [--label L] [--json]` (app/cli_propagation.cpp): which
// configured nameservers serve the primary's serial and the label's TXT values.
int run_propagation(const PropagationArgs& args);

struct CredentialArgs {
    std::string config;
    std::string action;                  // issue, list, show, rotate, disable, enable, revoke
    std::vector<std::string> domains;    // issue: customer names (--domain, repeatable)
    std::string scheme;                  // issue: uuid, hash, reverse ("" = [credentials] default_scheme)
    std::vector<std::string> allowfrom;  // issue: CIDRs (--allowfrom, repeatable)
    bool replace = false;                // issue: take names over from their current credential
    std::string username;                // show, rotate, disable, enable, revoke
    bool new_tsig = false;               // rotate: new TSIG secret too
    std::string name, label, filter_scheme, used_since, unused_since;  // list filters
    bool json = false;
};
// `acmezone credential ...` (app/cli_credential.cpp).
int run_credential(const CredentialArgs& args);

struct AuditArgs {
    std::string config;
    std::string since, actor, kind, label, after;
    std::size_t limit = 100;
    bool json = false;
};
// `acmezone audit [--since] [--actor] [--kind] [--label] [--after] [--limit] [--json]`.
int run_audit(const AuditArgs& args);

struct ConfigCheckArgs {
    std::string file;
};
// `acmezone config check FILE` (app/cli_config.cpp): exit 0 with the effective settings as TOML
// on stdout, or 2 with "config error: <key>: ..." on stderr.
int run_config_check(const ConfigCheckArgs& args);

}  // namespace acmezone::app
