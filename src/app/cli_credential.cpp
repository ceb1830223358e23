// `acmezone credential issue|list|show|rotate|disable|enable|revoke` and `acmezone audit`: the
// admin's CLI on the store directly (safe while the server runs: LMDB serialises the writers).
// The work is store::CredentialAdmin's, the JSON api::credential_json's, so `--json` prints what
// the admin API answers; without it, a table for people. The actor in the audit log is "cli".
#include <iostream>
#include <memory>
#include <string>

#include "api/credential_json.hpp"
#include "app/cli_common.hpp"
#include "app/commands.hpp"
#include "app/logging.hpp"
#include "store/audit.hpp"
#include "store/credential_admin.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

namespace {

const store::AdminActor kCliActor{"cli", "local"};

int exit_for(const core::Error& error) {
    std::cerr << "error: " << error.message << "\n";
    return error.code == core::Errc::invalid_argument ? kExitUsage : kExitFailure;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Config, store and a writer of this process, opened together.
struct Session {
    Config config;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<store::Writer> writer;
    std::unique_ptr<store::CredentialAdmin> admin;
};

std::unique_ptr<Session> open_session(const std::string& config_path, int& rc) {
    auto config = load_config_or_report(config_path);
    if (!config) {
        rc = kExitUsage;
        return nullptr;
    }
    setup_logging(std::max(config->log.level, spdlog::level::warn));
    auto session = std::make_unique<Session>();
    session->config = std::move(*config);
    auto opened = store::Store::open(session->config.store);
    if (!opened) {
        std::cerr << "error: cannot open the store at " << session->config.store.path.string() << ": " << opened.error().message << "\n";
        rc = kExitFailure;
        return nullptr;
    }
    session->store = std::move(opened.value());
    session->writer = std::make_unique<store::Writer>(*session->store, session->config.zone, writer_options(session->config));
    session->admin = std::make_unique<store::CredentialAdmin>(*session->store, *session->writer, session->config.zone);
    return session;
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

void print_table(const store::CredentialView& view, const core::Zone& zone) {
    const auto& c = view.credential;
    std::cout << "username    " << c.username << "\n";
    if (view.password) std::cout << "password    " << *view.password << "   (shown once: store it now)\n";
    std::string allow;
    for (const auto& a : c.allowfrom) allow += (allow.empty() ? "" : ", ") + a;
    std::cout << "allowfrom   " << (allow.empty() ? "anywhere" : allow) << "\n";
    std::cout << "state       " << (c.disabled ? "disabled" : "enabled") << "\n";
    std::cout << "created     " << api::rfc3339(c.created_at) << "\n";
    std::cout << "last used   " << (c.last_used_at > 0 ? api::rfc3339(c.last_used_at) : std::string("never")) << "\n";
    for (const auto& key : view.tsig_keys) {
        std::cout << "tsig        " << key.name.to_text() << " " << key.algorithm;
        if (view.show_tsig_secret) std::cout << " " << api::base64(key.secret);
        std::cout << "\n";
    }
    std::cout << "names:\n";
    for (const auto& label : c.labels) {
        std::cout << "  " << or_dash(label.domain) << "  ->  " << label.name << "." << store::apex_text(zone) << "  (" << or_dash(label.scheme)
                  << ")\n";
        if (const std::string line = api::cname_line(label, zone); !line.empty()) std::cout << "    " << line << "\n";
    }
    for (const auto& note : view.notes) std::cout << "note: " << note << "\n";
}

void print(const store::CredentialView& view, const core::Zone& zone, bool json) {
    if (json) std::cout << api::credential_json(view, zone).dump(2) << "\n";
    else print_table(view, zone);
}

}  // namespace

int run_credential(const CredentialArgs& args) {
    int rc = kExitOk;
    auto session = open_session(args.config, rc);
    if (!session) return rc;
    const core::Zone& zone = *session->config.zone;
    auto& admin = *session->admin;
    int result = kExitOk;

    if (args.action == "issue") {
        store::IssueRequest req;
        req.domains = args.domains;
        req.allowfrom = args.allowfrom;
        req.replace = args.replace;
        req.scheme = session->config.api.options.default_scheme;
        if (!args.scheme.empty()) {
            auto scheme = core::parse_label_scheme(args.scheme);
            if (!scheme) {
                std::cerr << "error: --scheme must be one of uuid, hash, reverse\n";
                return kExitUsage;
            }
            req.scheme = *scheme;
        }
        auto issued = admin.issue(req, kCliActor);
        if (!issued) result = exit_for(issued.error());
        else print(*issued, zone, args.json);
    } else if (args.action == "list") {
        store::CredentialFilter filter;
        if (!args.name.empty()) filter.name = args.name;
        if (!args.label.empty()) filter.label = args.label;
        if (!args.filter_scheme.empty()) filter.scheme = args.filter_scheme;
        for (auto [text, target] : {std::pair{&args.used_since, &filter.used_since}, std::pair{&args.unused_since, &filter.unused_since}}) {
            if (text->empty()) continue;
            auto t = store::parse_time_spec(*text, unix_now());
            if (!t) return exit_for(t.error());
            *target = *t;
        }
        auto found = admin.list(filter);
        if (!found) {
            result = exit_for(found.error());
        } else if (args.json) {
            api::Json out = api::Json::object();
            out["credentials"] = api::Json::array();
            for (const auto& view : *found) out["credentials"].push_back(api::credential_json(view, zone));
            std::cout << out.dump(2) << "\n";
        } else {
            std::printf("%-36s  %-8s  %-20s  %s\n", "USERNAME", "STATE", "LAST USED", "NAMES (domain -> label)");
            for (const auto& view : *found) {
                const auto& c = view.credential;
                std::string names;
                for (const auto& l : c.labels) names += (names.empty() ? "" : ", ") + or_dash(l.domain) + " -> " + l.name;
                std::printf("%-36s  %-8s  %-20s  %s\n", c.username.c_str(), c.disabled ? "disabled" : "enabled",
                            c.last_used_at > 0 ? api::rfc3339(c.last_used_at).c_str() : "never", names.c_str());
            }
            std::printf("%zu credential(s)\n", found->size());
        }
    } else if (args.action == "show") {
        auto view = admin.show(args.username);
        if (!view) result = exit_for(view.error());
        else print(*view, zone, args.json);
    } else if (args.action == "rotate") {
        auto view = admin.rotate(args.username, args.new_tsig, kCliActor);
        if (!view) result = exit_for(view.error());
        else print(*view, zone, args.json);
    } else if (args.action == "disable" || args.action == "enable") {
        auto view = admin.set_disabled(args.username, args.action == "disable", kCliActor);
        if (!view) result = exit_for(view.error());
        else print(*view, zone, args.json);
    } else if (args.action == "revoke") {
        if (auto st = admin.revoke(args.username, kCliActor); !st) {
            result = exit_for(st.error());
        } else if (args.json) {
            api::Json out = api::Json::object();
            out["revoked"] = args.username;
            std::cout << out.dump(2) << "\n";
        } else {
            std::cout << "revoked " << args.username << " (labels, TSIG keys and TXT records removed)\n";
        }
    } else {
        std::cerr << "error: unknown action " << args.action << "\n";
        result = kExitUsage;
    }
    session->writer->stop();
    return result;
}

int run_audit(const AuditArgs& args) {
    auto config = load_config_or_report(args.config);
    if (!config) return kExitUsage;
    setup_logging(std::max(config->log.level, spdlog::level::warn));
    store::StoreOptions options = config->store;
    options.read_only = true;
    auto opened = store::Store::open(options);
    if (!opened) {
        std::cerr << "error: cannot open the store at " << options.path.string() << ": " << opened.error().message << "\n";
        return kExitFailure;
    }
    store::AuditFilter filter;
    if (!args.since.empty()) {
        auto t = store::parse_time_spec(args.since, unix_now());
        if (!t) return exit_for(t.error());
        filter.since_ns = *t > 0 ? static_cast<std::uint64_t>(*t) * 1000000000ull : 0;
    }
    if (!args.actor.empty()) filter.actor = args.actor;
    if (!args.label.empty()) filter.label = args.label;
    if (!args.kind.empty()) {
        filter.kind = store::parse_audit_kind(args.kind);
        if (!filter.kind) {
            std::cerr << "error: --kind must be one of issue, rotate, disable, enable, revoke, admin_auth_failure, update, "
                         "delete_txt, register, update_auth_failure\n";
            return kExitUsage;
        }
    }
    filter.after = args.after;
    filter.limit = args.limit;
    auto page = store::AuditLog(**opened).page(filter);
    if (!page) return exit_for(page.error());
    if (args.json) {
        api::Json out = api::Json::object();
        out["events"] = api::Json::array();
        for (const auto& e : page->events) out["events"].push_back(api::audit_event_json(e));
        out["next"] = page->next.empty() ? api::Json(nullptr) : api::Json(page->next);
        std::cout << out.dump(2) << "\n";
        return kExitOk;
    }
    std::printf("%-30s  %-18s  %-36s  %-10s  %-30s  %s\n", "TIME", "KIND", "ACTOR", "OUTCOME", "LABEL", "DETAIL");
    for (const auto& e : page->events) {
        const std::string time = api::audit_event_json(e)["time"].get<std::string>();
        std::printf("%-30s  %-18s  %-36s  %-10s  %-30s  %s (%s)\n", time.c_str(), store::to_string(e.kind), e.actor.c_str(),
                    e.outcome.c_str(), or_dash(e.label).c_str(), e.detail.c_str(), or_dash(e.source).c_str());
    }
    if (!page->next.empty()) std::printf("more: --after %s\n", page->next.c_str());
    return kExitOk;
}

}  // namespace acmezone::app
