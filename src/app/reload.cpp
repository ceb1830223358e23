#include "app/reload.hpp"

#include <algorithm>
#include <set>

#include "api/server.hpp"
#include "app/config_print.hpp"
#include "app/logging.hpp"
#include "dns/responder.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

namespace {

// Keys a reload applies; any other changed key needs a restart.
bool is_record_key(std::string_view key) { return key == "zone.records" || key == "zone.default_ttl"; }
bool is_level_key(std::string_view key) { return key == "log.level" || key.starts_with("log.modules."); }

// "dns.tsig_keys[1].secret" -> "dns.tsig_keys": array-of-tables entries are reported as a whole.
std::string reported_key(const std::string& key) {
    const auto bracket = key.find('[');
    return bracket == std::string::npos ? key : key.substr(0, bracket);
}

}  // namespace

core::Result<ReloadPlan> plan_reload(const Config& running, const Config& next) {
    const auto before = flatten_settings(effective_settings(running, Secrets::keep));
    const auto after = flatten_settings(effective_settings(next, Secrets::keep));
    std::set<std::string> changed;
    for (const auto& [key, value] : before) {
        auto it = after.find(key);
        if (it == after.end() || it->second != value) changed.insert(key);
    }
    for (const auto& [key, value] : after)
        if (!before.contains(key)) changed.insert(key);

    ReloadPlan plan;
    const bool apex_changed = changed.contains("zone.name");
    bool records_changed = false;
    std::set<std::string> ignored;
    for (const auto& key : changed) {
        if (is_record_key(key) && !apex_changed) {
            records_changed = records_changed || key == "zone.records";
        } else if (is_level_key(key)) {
            plan.log_levels = true;
        } else {
            ignored.insert(reported_key(key));
        }
    }
    plan.ignored.assign(ignored.begin(), ignored.end());
    if (records_changed) {
        // Only the records move over: apex, NS, SOA and TTL settings stay those in use.
        core::ZoneSpec spec = running.zone->spec();
        spec.records = next.zone->spec().records;
        auto built = core::Zone::build(std::move(spec));
        if (!built) return std::move(built).error();
        plan.zone = std::make_shared<const core::Zone>(std::move(built.value()));
    }
    return plan;
}

Reloader::Reloader(std::filesystem::path file, Config running, ReloadTargets targets)
    : file_(std::move(file)), running_(std::move(running)), targets_(targets) {}

bool Reloader::reload() {
    auto log = app_log();
    log->info("event=reload signal=SIGHUP config={}", file_.string());
    auto next = load_config(file_);
    if (!next) {
        log->error("event=reload_failed config={} error=\"{}\" action=kept_running", file_.string(), next.error().message);
        return false;
    }
    auto plan = plan_reload(running_, *next);
    if (!plan) {
        log->error("event=reload_failed config={} error=\"{}\" action=kept_running", file_.string(), plan.error().message);
        return false;
    }
    for (const auto& warning : next->warnings) log->warn("event=config_warning detail=\"{}\"", warning);

    // Levels first, so the lines below already follow them.
    if (plan->log_levels) {
        set_log_levels(next->log.level, next->log.modules);
        running_.log.level = next->log.level;
        running_.log.modules = next->log.modules;
        std::string modules;
        for (const auto& [module, level] : running_.log.modules)
            modules += (modules.empty() ? "" : ",") + module + ":" + std::string(log_level_text(level));
        log->info("event=reload_applied what=log_levels level={} modules={}", log_level_text(running_.log.level),
                  modules.empty() ? "-" : modules);
    }
    if (plan->zone) {
        if (targets_.responder) targets_.responder->set_zone(plan->zone);
        if (targets_.writer) targets_.writer->set_zone(plan->zone);
        running_.zone = plan->zone;
        log->info("event=reload_applied what=static_records records={}", plan->zone->spec().records.size());
    }
    // zone.default_ttl only shapes the records: applied with them (or changing none of them).
    if (std::find(plan->ignored.begin(), plan->ignored.end(), "zone.default_ttl") == plan->ignored.end())
        running_.default_ttl = next->default_ttl;
    for (const auto& key : plan->ignored) log->warn("event=reload_ignored key={} reason=restart_required", key);

    bool tls_ok = true;
    if (targets_.api) {
        // A failed reload keeps the certificate in use; the server keeps running either way.
        if (auto st = targets_.api->reload_tls(); !st) {
            tls_ok = false;
            log->error("event=reload_failed what=api_tls error=\"{}\" action=kept_previous", st.error().message);
        }
    }
    log->debug("event=reload_summary static_records={} log_levels={} ignored={} api_tls={}", plan->zone ? "applied" : "unchanged",
               plan->log_levels ? "applied" : "unchanged", plan->ignored.size(),
               targets_.api ? (tls_ok ? "reloaded" : "failed") : "off");
    log->info("event=reloaded ignored={}", plan->ignored.size());
    return true;
}

}  // namespace acmezone::app
