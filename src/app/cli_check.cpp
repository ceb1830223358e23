// `acmezone check DOMAIN [--label L] [--json]` and `acmezone check --all [--json]`: is each
// customer's _acme-challenge CNAME still pointing at the label we issued? Asks the resolver in
// [check] (dns/delegation_check). --all walks every credential, looks names up in parallel
// (a few threads: a dead resolver must not take hours over thousands of names) and lists the
// delegations that are gone (clean-up candidates) and the credentials never used. Exit 0 when
// everything checked is delegated, 1 otherwise (gone, lookup errors, runtime failures), 2 usage.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/check_handler.hpp"
#include "app/cli_common.hpp"
#include "app/commands.hpp"
#include "app/logging.hpp"
#include "dns/delegation_check.hpp"
#include "store/credentials.hpp"
#include "store/store.hpp"

namespace acmezone::app {

namespace {

constexpr unsigned kCheckThreads = 8;

nlohmann::ordered_json to_json(const core::DelegationResult& r) { return api::delegation_json(r); }

bool is_gone(core::DelegationState state) {
    return state == core::DelegationState::missing || state == core::DelegationState::elsewhere ||
           state == core::DelegationState::other_credential;
}

void print_result(const core::DelegationResult& r) {
    std::cout << r.domain << ": " << core::to_string(r.state) << "\n";
    if (!r.target.empty()) std::cout << "  " << r.query << " CNAME " << r.target << "\n";
    std::cout << "  expected " << r.query << " CNAME " << r.expected << " (credential " << r.username << ")\n";
    std::cout << "  " << r.detail << "\n";
}

std::unique_ptr<store::Store> open_store_read_only(const Config& config) {
    store::StoreOptions options = config.store;
    options.read_only = true;
    auto store = store::Store::open(options);
    if (!store) {
        std::cerr << "error: cannot open the store at " << options.path.string() << ": " << store.error().message << "\n";
        return nullptr;
    }
    if (!(*store)->has_credentials()) {
        std::cerr << "error: the store holds no credentials yet\n";
        return nullptr;
    }
    return std::move(store.value());
}

int check_one(const CheckArgs& args, const dns::DelegationChecker& checker) {
    auto result = checker.check(args.domain, args.label);
    if (!result) {
        std::cerr << "error: " << result.error().message << "\n";
        const auto code = result.error().code;
        return code == core::Errc::invalid_argument || code == core::Errc::not_found ? kExitUsage : kExitFailure;
    }
    if (args.json) std::cout << to_json(*result).dump(2) << "\n";
    else print_result(*result);
    return result->state == core::DelegationState::delegated ? kExitOk : kExitFailure;
}

// "Never used": no accepted update ever (core::Credential::last_used_at, kept by the REST and
// RFC 2136 front doors; records imported from acme-dns start at 0 too, as acme-dns keeps no
// such time).
bool never_used(const core::Credential& credential) { return credential.last_used_at == 0; }

int check_all(const CheckArgs& args, store::Store& store, const dns::DelegationChecker& checker) {
    store::CredentialStore credentials(store);
    auto all = credentials.list();
    if (!all) {
        std::cerr << "error: cannot list credentials: " << all.error().message << "\n";
        return kExitFailure;
    }
    struct Job {
        const core::Credential* credential;
        const core::Label* label;
    };
    std::vector<Job> jobs;
    std::vector<std::pair<std::string, std::string>> unchecked;  // username, label
    std::vector<const core::Credential*> unused;
    for (const auto& credential : *all) {
        if (never_used(credential)) unused.push_back(&credential);
        for (const auto& label : credential.labels) {
            if (label.domain.empty()) unchecked.emplace_back(credential.username, label.name);
            else jobs.push_back({&credential, &label});
        }
    }

    std::vector<core::DelegationResult> results(jobs.size());
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();)
            results[i] = checker.check_label(*jobs[i].credential, *jobs[i].label, jobs[i].label->domain);
    };
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < std::min<std::size_t>(kCheckThreads, jobs.size()); ++t) threads.emplace_back(work);
    for (auto& thread : threads) thread.join();

    std::size_t delegated = 0, gone = 0, errors = 0;
    for (const auto& r : results) {
        if (r.state == core::DelegationState::delegated) ++delegated;
        else if (is_gone(r.state)) ++gone;
        else ++errors;
    }

    if (args.json) {
        nlohmann::ordered_json out;
        out["credentials"] = all->size();
        out["checked"] = results.size();
        out["delegated"] = delegated;
        out["gone"] = nlohmann::ordered_json::array();
        out["errors"] = nlohmann::ordered_json::array();
        out["results"] = nlohmann::ordered_json::array();
        for (const auto& r : results) {
            out["results"].push_back(to_json(r));
            if (is_gone(r.state)) out["gone"].push_back(to_json(r));
            else if (r.state == core::DelegationState::error) out["errors"].push_back(to_json(r));
        }
        out["never_used"] = nlohmann::ordered_json::array();
        for (const auto* c : unused) {
            nlohmann::ordered_json entry;
            entry["username"] = c->username;
            entry["labels"] = nlohmann::ordered_json::array();
            for (const auto& l : c->labels) entry["labels"].push_back(l.name);
            out["never_used"].push_back(std::move(entry));
        }
        out["never_used_basis"] = "last_used_at";
        out["unchecked"] = nlohmann::ordered_json::array();
        for (const auto& [username, label] : unchecked)
            out["unchecked"].push_back({{"username", username}, {"label", label}, {"detail", "the label names no customer"}});
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << "checked " << results.size() << " name(s) of " << all->size() << " credential(s): " << delegated
                  << " delegated, " << gone << " gone, " << errors << " lookup error(s)\n";
        if (gone > 0) {
            std::cout << "delegation gone (the customer removed or moved the CNAME: clean up?):\n";
            for (const auto& r : results)
                if (is_gone(r.state))
                    std::cout << "  " << r.domain << "  " << core::to_string(r.state) << "  credential " << r.username << "  "
                              << r.detail << "\n";
        }
        if (errors > 0) {
            std::cout << "lookup errors (nothing is known about these):\n";
            for (const auto& r : results)
                if (r.state == core::DelegationState::error)
                    std::cout << "  " << r.domain << "  credential " << r.username << "  " << r.detail << "\n";
        }
        if (!unused.empty()) {
            std::cout << "never used (no accepted update since issued):\n";
            for (const auto* c : unused) {
                std::cout << "  " << c->username << "  labels:";
                for (const auto& l : c->labels) std::cout << " " << l.name;
                std::cout << "\n";
            }
        }
        if (!unchecked.empty()) {
            std::cout << "not checked (labels that name no customer; use `acmezone check DOMAIN --label L`):\n";
            for (const auto& [username, label] : unchecked) std::cout << "  " << username << "  label " << label << "\n";
        }
    }
    return gone == 0 && errors == 0 ? kExitOk : kExitFailure;
}

}  // namespace

int run_check(const CheckArgs& args) {
    auto config = load_config_or_report(args.config);
    if (!config) return kExitUsage;
    setup_logging(std::max(config->log.level, spdlog::level::warn));
    auto store = open_store_read_only(*config);
    if (!store) return kExitFailure;
    const dns::DelegationChecker checker(*store, config->zone, config->check);
    return args.all ? check_all(args, *store, checker) : check_one(args, checker);
}

}  // namespace acmezone::app
