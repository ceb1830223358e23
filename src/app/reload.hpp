// app/reload: what SIGHUP does to a running `serve`. The config file is read again. If it is
// invalid, nothing changes (event=reload_failed). If it is valid, the static records
// (zone.records, zone.default_ttl) and the log levels (log.level, [log.modules]) are applied,
// the API's TLS certificate and key are re-read, and every other changed key is logged as
// event=reload_ignored key=... reason=restart_required and left as it was (listeners, store,
// apex, SOA, NS, secrets...). Listeners and updates in flight are never touched: the new static
// zone is published to the responder (one atomic pointer) and to the writer (its checks).
// What stays stale until a restart: the REST API's and the TXT expiry sweeper's copy of the
// zone, used for the apex (unchanged by design) and for "is this owner reserved" checks when
// issuing a label; the writer, which has the new zone, still refuses TXT at a new static owner.
// Reloads run on the main thread only (one at a time).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/result.hpp"

namespace acmezone::api {
class ApiServer;
}
namespace acmezone::dns {
class Responder;
}
namespace acmezone::store {
class Writer;
}

namespace acmezone::app {

// What a reload would do, decided from the running and the new config alone.
struct ReloadPlan {
    std::shared_ptr<const core::Zone> zone;  // the running zone with the new static records; null: unchanged
    bool log_levels = false;                 // log.level or [log.modules] changed
    std::vector<std::string> ignored;        // changed keys that need a restart ("dns.listen", "dns.tsig_keys")
};

// Compares the effective settings of both (secrets compared, never shown). A changed zone.name
// makes the records ignored too: they are relative to the apex.
core::Result<ReloadPlan> plan_reload(const Config& running, const Config& next);

struct ReloadTargets {
    dns::Responder* responder = nullptr;
    store::Writer* writer = nullptr;
    api::ApiServer* api = nullptr;  // null when the API is off
};

class Reloader {
public:
    // `running` is the config the server started with.
    Reloader(std::filesystem::path file, Config running, ReloadTargets targets);

    // Re-reads the file and applies what can be applied; logs what it did. Never throws for a
    // bad file. Returns false when the file was invalid (nothing applied).
    bool reload();

    const Config& running() const noexcept { return running_; }

private:
    std::filesystem::path file_;
    Config running_;  // what is in effect: the start config with the applied parts updated
    ReloadTargets targets_;
};

}  // namespace acmezone::app
