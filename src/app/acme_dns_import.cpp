#include "app/acme_dns_import.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "core/change_set.hpp"
#include "core/rr.hpp"
#include "core/secret_hash.hpp"
#include "core/txt.hpp"

namespace acmezone::app {

using core::Errc;
using core::make_error;

namespace {

struct DbCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A column as bytes whatever its storage class: acme-dns bound the bcrypt hash as a Go byte
// slice, so SQLite may hold it as BLOB although the column is declared TEXT. NULL -> "".
std::string column_bytes(sqlite3_stmt* stmt, int column) {
    if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return {};
    const void* data = sqlite3_column_blob(stmt, column);
    const int size = sqlite3_column_bytes(stmt, column);
    if (data == nullptr || size <= 0) return {};
    return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

core::Result<Stmt> prepare(sqlite3* db, const char* sql, const std::string& what) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
        Stmt guard(raw);
        return make_error(Errc::invalid_argument,
                          what + ": not an acme-dns database (" + std::string(sqlite3_errmsg(db)) + ")");
    }
    return Stmt(raw);
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return text;
}

// The characters /update accepts in a subdomain (letters, digits, '-'); others import but
// can only be written over RFC 2136 or the CLI.
bool is_rest_label(std::string_view label) {
    return std::all_of(label.begin(), label.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

// AllowFrom as the list of entries (kept as written; invalid ones are ignored at check time,
// as acme-dns does). acme-dns refuses every update of an account whose AllowFrom is NULL or
// not JSON, so such an account is reported instead of silently opened to any source.
core::Result<std::vector<std::string>> parse_allowfrom(const std::string& text) {
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_array())
        return make_error(Errc::invalid_argument, "AllowFrom is not a JSON array (acme-dns refuses all its updates)");
    std::vector<std::string> out;
    for (const auto& entry : json) {
        if (!entry.is_string()) return make_error(Errc::invalid_argument, "AllowFrom holds a non-string entry");
        out.push_back(entry.get<std::string>());
    }
    return out;
}

}  // namespace

core::Result<std::vector<AcmeDnsAccount>> read_acme_dns_sqlite(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return make_error(Errc::not_found, name + ": no such file");
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(name.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK)
        return make_error(Errc::invalid_argument, name + ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_busy_timeout(db.get(), 5000);  // acme-dns may still be running and writing

    std::vector<AcmeDnsAccount> accounts;
    std::map<std::string, std::size_t> by_subdomain;  // exact text, as acme-dns matches it
    {
        auto stmt = prepare(db.get(), "SELECT Username, Password, Subdomain, AllowFrom FROM records ORDER BY Username", name);
        if (!stmt) return std::move(stmt).error();
        int step = 0;
        while ((step = sqlite3_step(stmt->get())) == SQLITE_ROW) {
            AcmeDnsAccount account;
            account.username = column_bytes(stmt->get(), 0);
            account.password_hash = column_bytes(stmt->get(), 1);
            account.subdomain = column_bytes(stmt->get(), 2);
            account.allowfrom_json = column_bytes(stmt->get(), 3);
            by_subdomain.emplace(account.subdomain, accounts.size());
            accounts.push_back(std::move(account));
        }
        if (step != SQLITE_DONE) return make_error(Errc::store_error, name + ": reading records: " + sqlite3_errmsg(db.get()));
    }
    {
        // Newest first; rowid breaks ties (acme-dns updates the oldest row in place).
        auto stmt = prepare(db.get(),
                            "SELECT Subdomain, Value FROM txt WHERE Value IS NOT NULL AND Value <> '' "
                            "ORDER BY LastUpdate DESC, rowid DESC",
                            name);
        if (!stmt) return std::move(stmt).error();
        int step = 0;
        while ((step = sqlite3_step(stmt->get())) == SQLITE_ROW) {
            auto it = by_subdomain.find(column_bytes(stmt->get(), 0));
            if (it == by_subdomain.end()) continue;  // a value without an account is served by nobody
            accounts[it->second].txt_newest.push_back(column_bytes(stmt->get(), 1));
        }
        if (step != SQLITE_DONE) return make_error(Errc::store_error, name + ": reading txt: " + sqlite3_errmsg(db.get()));
    }
    return accounts;
}

core::Result<ImportReport> import_acme_dns(const std::vector<AcmeDnsAccount>& accounts, store::CredentialStore& credentials,
                                           store::Writer* writer, const core::Zone& zone, const ImportOptions& options) {
    ImportReport report;
    std::set<std::string> labels_taken;  // labels claimed earlier in this run (case-folded duplicates)
    const auto invalid = [&](const std::string& username, std::string why) {
        report.lines.push_back({username, ImportOutcome::invalid, std::move(why)});
        ++report.invalid;
    };

    for (const auto& account : accounts) {
        const std::string username = lower(account.username);
        if (username.empty()) {
            invalid("(empty)", "empty Username");
            continue;
        }
        core::Credential existing;
        auto found = credentials.find(username, existing);
        if (!found) return std::move(found).error();
        if (*found) {
            report.lines.push_back({username, ImportOutcome::exists, "username already in the store: skipped"});
            ++report.existing;
            continue;
        }
        if (!core::is_bcrypt_hash(account.password_hash)) {
            invalid(username, "Password is not a bcrypt hash ($2a$/$2b$/$2y$)");
            continue;
        }
        const std::string label = lower(account.subdomain);
        auto owner = zone.apex().prepend(label);
        if (label.empty() || label.find('.') != std::string::npos || !owner) {
            invalid(username, "Subdomain \"" + account.subdomain + "\" is not one DNS label");
            continue;
        }
        if (zone.is_reserved_owner(*owner)) {
            invalid(username, "Subdomain \"" + label + "\" is the apex or holds static records of the zone");
            continue;
        }
        auto allowfrom = parse_allowfrom(account.allowfrom_json);
        if (!allowfrom) {
            invalid(username, allowfrom.error().message);
            continue;
        }
        auto owned_by = credentials.owner_of(label);
        if (!owned_by) return std::move(owned_by).error();
        if (*owned_by || labels_taken.contains(label)) {
            invalid(username, "Subdomain \"" + label + "\" already belongs to " + (*owned_by ? **owned_by : "an earlier row"));
            continue;
        }
        if (label != account.subdomain)
            report.warnings.push_back(username + ": Subdomain \"" + account.subdomain + "\" lower-cased to \"" + label + "\"");
        if (!is_rest_label(label))
            report.warnings.push_back(username + ": label \"" + label + "\" has characters /update refuses (bad_subdomain)");

        // The values to keep, oldest first so the newest ends up newest in the store.
        std::vector<std::string> rdatas;
        const std::size_t keep = std::min<std::size_t>(account.txt_newest.size(), options.txt_values);
        for (std::size_t i = keep; i-- > 0;) {
            auto rdata = core::txt_rdata_from_value(account.txt_newest[i]);
            if (!rdata) {
                report.warnings.push_back(username + ": TXT value skipped: " + rdata.error().message);
                continue;
            }
            rdatas.push_back(std::move(rdata.value()));
        }

        core::Credential credential;
        credential.username = username;
        credential.secret_hash = account.password_hash;  // verified as bcrypt, re-hashed on first use
        credential.allowfrom = std::move(allowfrom.value());
        credential.labels = {core::Label{label, "", ""}};
        credential.created_at = options.now;

        if (!options.dry_run) {
            if (auto st = credentials.insert(credential); !st) {
                if (st.error().code != Errc::conflict) return std::move(st).error();
                invalid(username, "conflict while storing: " + st.error().message);  // another process raced us
                continue;
            }
            if (!rdatas.empty() && writer != nullptr) {
                core::ChangeSet change;
                for (auto& rdata : rdatas)
                    change.operations.push_back(core::Operation{core::OpKind::add_rr, *owner, core::rrtype::TXT,
                                                                zone.spec().txt_ttl, std::move(rdata), options.txt_values});
                change.actor = "import:" + username;
                change.source = "acme-dns";
                auto committed = writer->submit(std::move(change)).get();
                if (!committed) {
                    // The credential is in; re-running skips it, so say clearly what is missing.
                    report.warnings.push_back(username + ": credential imported but its TXT values were not written: " +
                                              committed.error().message);
                    rdatas.clear();
                }
            }
        }
        labels_taken.insert(label);
        report.txt_values += rdatas.size();
        ++report.imported;
        report.lines.push_back({username, ImportOutcome::imported,
                                "label " + label + ", " + std::to_string(rdatas.size()) + " TXT value(s), " +
                                    std::to_string(credential.allowfrom.size()) + " allowfrom range(s)"});
    }
    return report;
}

}  // namespace acmezone::app
