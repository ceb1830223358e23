// `acmezone import acme-dns --config F --sqlite FILE [--dry-run]`: moves an acme-dns SQLite
// database into the store (see app/acme_dns_import.hpp). Safe while the server runs (LMDB
// serialises our writes with its writer). One line per account, then a summary; exit 1 when
// some account could not be imported (the others are in, and a re-run skips them).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include "app/acme_dns_import.hpp"
#include "app/cli_common.hpp"
#include "app/commands.hpp"
#include "app/logging.hpp"
#include "store/credentials.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

namespace {

const char* outcome_text(ImportOutcome outcome) {
    switch (outcome) {
        case ImportOutcome::imported: return "imported";
        case ImportOutcome::exists: return "exists";
        case ImportOutcome::invalid: return "invalid";
    }
    return "invalid";
}

}  // namespace

int run_import_acme_dns(const ImportArgs& args) {
    auto config = load_config_or_report(args.config);
    if (!config) return kExitUsage;
    setup_logging(std::max(config->log.level, spdlog::level::warn));

    auto accounts = read_acme_dns_sqlite(args.sqlite);
    if (!accounts) {
        std::cerr << "error: " << accounts.error().message << "\n";
        return accounts.error().code == core::Errc::store_error ? kExitFailure : kExitUsage;
    }

    // A dry run opens the store read-only, so it works without write access and changes nothing.
    store::StoreOptions store_options = config->store;
    store_options.read_only = args.dry_run;
    auto opened = store::Store::open(store_options);
    if (!opened) {
        std::cerr << "error: cannot open the store at " << store_options.path.string() << ": " << opened.error().message << "\n";
        return kExitFailure;
    }
    std::unique_ptr<store::Store> store = std::move(opened.value());
    if (!store->has_credentials()) {
        // A read-only open of a store written before credentials existed: nothing can exist yet.
        std::cerr << "error: the store has no credentials database yet; run once without --dry-run or start the server\n";
        return kExitFailure;
    }
    store::CredentialStore credentials(*store);
    std::unique_ptr<store::Writer> writer;
    if (!args.dry_run) writer = std::make_unique<store::Writer>(*store, config->zone, writer_options(*config));

    ImportOptions options;
    options.dry_run = args.dry_run;
    options.txt_values = config->api.options.txt_values;
    options.now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto report = import_acme_dns(*accounts, credentials, writer.get(), *config->zone, options);
    if (writer) writer->stop();
    if (!report) {
        std::cerr << "error: " << report.error().message << "\n";
        return kExitFailure;
    }
    for (const auto& line : report->lines)
        std::cout << outcome_text(line.outcome) << " " << line.username << ": " << line.detail << "\n";
    for (const auto& warning : report->warnings) std::cerr << "warning: " << warning << "\n";
    std::cout << (args.dry_run ? "dry run (nothing written): " : "") << accounts->size() << " account(s) read, "
              << report->imported << (args.dry_run ? " to import, " : " imported, ") << report->existing
              << " already present (skipped), " << report->invalid << " invalid, " << report->txt_values
              << " TXT value(s)" << (args.dry_run ? " to write" : " written") << "\n";
    return report->invalid == 0 ? kExitOk : kExitFailure;
}

}  // namespace acmezone::app
