// `acmezone propagation --config F [--label L] [--json]`: asks every configured nameserver
// ([dns.notify] targets and [propagation] nameservers) for the zone's SOA serial and the label's
// TXT values and compares them with the store (dns/propagation). Exit 0 when all have caught
// up (and match), 1 otherwise or on failures, 2 on usage errors (no nameservers configured).
#include <iostream>
#include <memory>

#include "api/propagation_handler.hpp"
#include "app/cli_common.hpp"
#include "app/commands.hpp"
#include "app/propagation_wiring.hpp"
#include "store/store.hpp"

namespace acmezone::app {

namespace {

void print_text(const api::PropagationResult& r) {
    std::cout << "primary serial " << r.serial;
    if (!r.label.empty()) std::cout << ", " << r.label << " TXT " << r.txt.size() << " value(s)";
    std::cout << "\n";
    for (const auto& ns : r.nameservers) {
        std::cout << "  " << ns.address << ": ";
        if (ns.serial) std::cout << "serial " << *ns.serial << (ns.caught_up ? " (caught up)" : " (behind)");
        else std::cout << "no serial";
        if (!r.label.empty()) std::cout << ", TXT " << (ns.matches ? "matches" : "differs") << " (" << ns.txt.size() << ")";
        if (ns.error) std::cout << ", error: " << *ns.error;
        std::cout << "\n";
    }
    std::cout << (r.all_caught_up ? "all caught up" : "not all caught up") << "\n";
}

}  // namespace

int run_propagation(const PropagationArgs& args) {
    auto config = load_config_or_report(args.config);
    if (!config) return kExitUsage;
    if (config->propagation.nameservers.empty()) {
        std::cerr << "propagation: no nameservers configured ([dns.notify] targets or [propagation] nameservers)\n";
        return kExitUsage;
    }
    store::StoreOptions options = config->store;
    options.read_only = true;
    auto store = store::Store::open(options);
    if (!store) {
        std::cerr << "error: cannot open the store at " << options.path.string() << ": " << store.error().message << "\n";
        return kExitFailure;
    }
    auto zone = config->zone;
    dns::PropagationChecker checker(**store, [zone]() -> const core::Zone& { return *zone; }, propagation_options(*config));
    auto report = checker.check(args.label);
    if (!report) {
        std::cerr << "error: " << report.error().message << "\n";
        return report.error().code == core::Errc::invalid_argument ? kExitUsage : kExitFailure;
    }
    const auto result = to_api(*report);
    if (args.json)
        std::cout << api::propagation_json(result).dump(2) << "\n";
    else
        print_text(result);
    return result.all_caught_up ? kExitOk : kExitFailure;
}

}  // namespace acmezone::app
