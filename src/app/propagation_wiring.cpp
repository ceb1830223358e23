#include "app/propagation_wiring.hpp"

namespace acmezone::app {

dns::PropagationOptions propagation_options(const Config& config) {
    dns::PropagationOptions options;
    options.nameservers = config.propagation.nameservers;
    options.timeout = std::chrono::milliseconds(config.propagation.timeout_ms);
    return options;
}

api::PropagationResult to_api(const dns::PropagationReport& report) {
    api::PropagationResult out;
    out.serial = report.serial;
    out.label = report.label;
    out.txt = report.txt;
    out.all_caught_up = report.all_caught_up;
    for (const auto& ns : report.nameservers)
        out.nameservers.push_back(api::NameserverPropagation{ns.address, ns.serial, ns.caught_up, ns.txt, ns.matches, ns.error});
    return out;
}

api::PropagationHook make_propagation_hook(std::shared_ptr<const dns::PropagationChecker> checker, const PropagationConfig& config) {
    api::PropagationHook hook;
    hook.check = [checker](std::string_view label) -> core::Result<api::PropagationResult> {
        auto report = checker->check(label);
        if (!report) return std::move(report).error();
        return to_api(*report);
    };
    // Nothing to wait for without nameservers: the hook stays unset and updates answer at once.
    if (checker->configured()) {
        const auto timeout = std::chrono::milliseconds(config.wait_timeout_ms);
        hook.wait = [checker, timeout](std::uint32_t serial) { return checker->wait_caught_up(serial, timeout); };
        hook.wait_by_default = config.wait_by_default;
    }
    return hook;
}

}  // namespace acmezone::app
