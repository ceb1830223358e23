// `acmezone config check FILE`: validates a config file as `serve` would (without opening the
// store or any socket) and prints the effective settings: every section, defaults filled in,
// names and records normalised, secrets shown as "<redacted>". Errors go to stderr naming the
// key, with exit 2; warnings go to stderr and do not fail the check.
#include <pwd.h>

#include <iostream>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/config_print.hpp"

namespace acmezone::app {

int run_config_check(const ConfigCheckArgs& args) {
    auto config = load_config(args.file);
    if (!config) {
        std::cerr << "config error: " << config.error().message << "\n";
        return kExitUsage;
    }
    for (const auto& warning : config->warnings) std::cerr << "warning: " << warning << "\n";
    // The account exists on the host where `serve` runs; here it may not (a config checked on
    // another machine), so this is a warning.
    if (!config->server.user.empty() && ::getpwnam(config->server.user.c_str()) == nullptr)
        std::cerr << "warning: server.user \"" << config->server.user << "\" does not exist on this host\n";
    std::cout << "# acmezone: effective settings of " << args.file << " (defaults filled in, secrets redacted)\n\n"
              << to_toml_text(effective_settings(*config, Secrets::redact));
    std::cerr << "config ok: " << args.file << "\n";
    return kExitOk;
}

}  // namespace acmezone::app
