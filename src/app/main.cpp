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
    } catch (const std::exception& e) {
        // Exceptions are for broken invariants and start-up failures; never die without a word.
        std::cerr << "error: " << e.what() << "\n";
        return app::kExitFailure;
    }
    return app::kExitUsage;
}
