// acmezone: `serve` runs the DNS server (and the REST API) in the foreground; `record ...` edits
// and lists the dynamic TXT records through the same store (safe while the server runs);
// `token new` makes an admin token for the API's /register.
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "app/version.hpp"

namespace app = acmezone::app;

namespace {

CLI::Option* add_config_option(CLI::App& command, std::string& target) {
    return command.add_option("-c,--config", target, "TOML config file (see config/acmezone.toml)")
        ->required()
        ->envname("ACMEZONE_CONFIG");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"acmezone: an authoritative DNS server for one ACME (DNS-01) challenge zone"};
    cli.name("acmezone");
    cli.set_version_flag("--version", "acmezone " + std::string(app::kVersion), "Print the version and exit");
    cli.require_subcommand(1);

    app::ServeArgs serve_args;
    CLI::App* serve = cli.add_subcommand("serve", "Run the DNS server in the foreground (logs to stderr; stops on SIGTERM/SIGINT)");
    add_config_option(*serve, serve_args.config);

    CLI::App* record = cli.add_subcommand("record", "Add, delete and list dynamic TXT records");
    record->require_subcommand(1);

    app::RecordArgs add_args;
    std::string add_value;
    CLI::App* add = record->add_subcommand("add", "Add a TXT record at LABEL (relative to the zone); TTL is zone.txt_ttl");
    add_config_option(*add, add_args.config);
    add->add_option("LABEL", add_args.label, "Owner name relative to the zone, e.g. _acme-challenge.www")->required();
    add->add_option("VALUE", add_value, "TXT value (put -- before a value that starts with '-')")->required();

    app::RecordArgs del_args;
    std::string del_value;
    CLI::App* del = record->add_subcommand("del", "Delete the TXT records at LABEL, or only the one with VALUE");
    add_config_option(*del, del_args.config);
    del->add_option("LABEL", del_args.label, "Owner name relative to the zone")->required();
    CLI::Option* del_value_option = del->add_option("VALUE", del_value, "Delete only this TXT value");

    app::RecordArgs list_args;
    CLI::App* list = record->add_subcommand("list", "List the dynamic TXT records, zone-file style, in DNS canonical order");
    add_config_option(*list, list_args.config);

    CLI::App* token = cli.add_subcommand("token", "Admin tokens for the REST API's /register (api.registration = \"token\")");
    token->require_subcommand(1);
    app::TokenArgs token_args;
    CLI::App* token_new = token->add_subcommand("new", "Print a new random admin token and the [[api.admin_tokens]] lines for the config");
    token_new->add_option("--name", token_args.name, "What the token is for (letters, digits, . _ -), e.g. \"ops\"")->required();

    CLI::App* import = cli.add_subcommand("import", "Import accounts from another server's database");
    import->require_subcommand(1);
    app::ImportArgs import_args;
    CLI::App* import_acme_dns = import->add_subcommand(
        "acme-dns", "Import acme-dns accounts (bcrypt secrets, subdomains, allowfrom, newest TXT values); re-runs skip existing ones");
    add_config_option(*import_acme_dns, import_args.config);
    import_acme_dns->add_option("--sqlite", import_args.sqlite, "acme-dns SQLite database file (acme-dns.db)")->required();
    import_acme_dns->add_flag("--dry-run", import_args.dry_run, "Check and count, write nothing");

    app::CheckArgs check_args;
    CLI::App* check = cli.add_subcommand(
        "check", "Check customers' _acme-challenge CNAME delegation through the resolver in [check]");
    add_config_option(*check, check_args.config);
    CLI::Option* check_domain = check->add_option("DOMAIN", check_args.domain, "Customer name, e.g. www.example.com");
    CLI::Option* check_all =
        check->add_flag("--all", check_args.all, "Check every credential: delegations gone, credentials never used");
    check_domain->excludes(check_all);
    check->add_option("--label", check_args.label,
                      "Label expected for DOMAIN, for credentials whose labels name no customer (acme-dns style)")
        ->excludes(check_all);
    check->add_flag("--json", check_args.json, "Print JSON");

    // `acmezone propagation --config F [--label L] [--json]` (app/cli_propagation.cpp).
    app::PropagationArgs propagation_args;
    CLI::App* propagation = cli.add_subcommand(
        "propagation", "Ask every configured nameserver for the zone's serial and a label's TXT values (exit 0: all caught up)");
    add_config_option(*propagation, propagation_args.config);
    propagation->add_option("--label", propagation_args.label, "Label (or name inside the zone) whose TXT values to compare");
    propagation->add_flag("--json", propagation_args.json, "Print JSON (the admin API's form)");

    // `acmezone credential ACTION --config FILE ...` (app/cli_credential.cpp).
    app::CredentialArgs cred_args;
    CLI::App* credential = cli.add_subcommand("credential", "Issue and manage scoped credentials (works on the store; the server may run)");
    credential->require_subcommand(1);
    const auto cred_sub = [&](const char* name, const char* help) {
        CLI::App* sub = credential->add_subcommand(name, help);
        add_config_option(*sub, cred_args.config);
        sub->add_flag("--json", cred_args.json, "Print JSON (the admin API's form)");
        return sub;
    };
    CLI::App* cred_issue = cred_sub("issue", "Issue a credential for one or more customer names");
    cred_issue->add_option("--domain", cred_args.domains, "Customer name, e.g. www.example.com (repeatable)")->required();
    cred_issue->add_option("--scheme", cred_args.scheme, "Label scheme: uuid, hash or reverse (default: [credentials] default_scheme)");
    cred_issue->add_option("--allowfrom", cred_args.allowfrom, "Source range allowed to update, e.g. 192.0.2.0/24 (repeatable)");
    cred_issue->add_flag("--replace", cred_args.replace, "Take the names over from the credential that has them");
    CLI::App* cred_list = cred_sub("list", "List credentials");
    cred_list->add_option("--name", cred_args.name, "Only credentials for this customer name or names below it");
    cred_list->add_option("--label", cred_args.label, "Only the credential owning this label");
    cred_list->add_option("--scheme", cred_args.filter_scheme, "Only credentials with a label of this scheme");
    cred_list->add_option("--used-since", cred_args.used_since, "Used at or after: Unix seconds or an age (30d, 12h)");
    cred_list->add_option("--unused-since", cred_args.unused_since, "Not used since: Unix seconds or an age (never used counts)");
    std::vector<CLI::App*> cred_by_user;
    for (const auto& [name, help] : {std::pair{"show", "Show one credential (no secrets)"},
                                     std::pair{"rotate", "New secret (the old one stops working at once)"},
                                     std::pair{"disable", "Disable (updates are refused; nothing is deleted)"},
                                     std::pair{"enable", "Enable again"},
                                     std::pair{"revoke", "Delete it with its labels, TSIG keys and TXT records"}}) {
        CLI::App* sub = cred_sub(name, help);
        sub->add_option("USERNAME", cred_args.username, "The credential's username")->required();
        cred_by_user.push_back(sub);
    }
    cred_by_user[1]->add_flag("--tsig", cred_args.new_tsig, "New TSIG secret too");

    app::AuditArgs audit_args;
    CLI::App* audit = cli.add_subcommand("audit", "Page through the audit log (oldest first)");
    add_config_option(*audit, audit_args.config);
    audit->add_option("--since", audit_args.since, "Events at or after: Unix seconds or an age (7d, 12h)");
    audit->add_option("--actor", audit_args.actor, "Only this actor (credential username, admin token name, cli)");
    audit->add_option("--kind", audit_args.kind, "Only this kind (issue, rotate, disable, enable, revoke, admin_auth_failure, update, delete_txt, register, update_auth_failure)");
    audit->add_option("--label", audit_args.label, "Only events about this label");
    audit->add_option("--after", audit_args.after, "Continue after this cursor (printed at the end of a page)");
    audit->add_option("--limit", audit_args.limit, "Events per page (1..10000)")->check(CLI::Range(1, 10000));
    audit->add_flag("--json", audit_args.json, "Print JSON (the admin API's form)");

    // `acmezone config check FILE` (app/cli_config.cpp).
    CLI::App* config_cmd = cli.add_subcommand("config", "Work with config files");
    config_cmd->require_subcommand(1);
    app::ConfigCheckArgs config_check_args;
    CLI::App* config_check = config_cmd->add_subcommand(
        "check", "Validate a config file and print its effective settings (defaults filled in, secrets redacted)");
    config_check->add_option("FILE", config_check_args.file, "TOML config file")->required();

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = cli.exit(e);  // prints help/version to stdout, errors to stderr
        return rc == static_cast<int>(CLI::ExitCodes::Success) ? app::kExitOk : app::kExitUsage;
    }

    try {
        if (*serve) return app::run_serve(serve_args);
        if (*add) {
            add_args.value = add_value;
            return app::run_record_add(add_args);
        }
        if (*del) {
            if (del_value_option->count() > 0) del_args.value = del_value;
            return app::run_record_del(del_args);
        }
        if (*list) return app::run_record_list(list_args);
        if (*token_new) return app::run_token_new(token_args);
        if (*import_acme_dns) return app::run_import_acme_dns(import_args);
        for (CLI::App* sub : credential->get_subcommands()) {
            cred_args.action = sub->get_name();
            return app::run_credential(cred_args);
        }
        if (*audit) return app::run_audit(audit_args);
        if (*config_check) return app::run_config_check(config_check_args);
        if (*propagation) return app::run_propagation(propagation_args);
        if (*check) {
            if (check_args.domain.empty() && !check_args.all) {
                std::cerr << "check: give a DOMAIN or --all\n";
                return app::kExitUsage;
            }
            return app::run_check(check_args);
        }
    } catch (const std::exception& e) {
        // Exceptions are for broken invariants and start-up failures; never die without a word.
        std::cerr << "error: " << e.what() << "\n";
        return app::kExitFailure;
    }
    return app::kExitUsage;
}
