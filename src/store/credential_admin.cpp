#include "store/credential_admin.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <set>

#include "core/cidr.hpp"
#include "core/random.hpp"
#include "core/rr.hpp"
#include "core/secret_hash.hpp"
#include "store/audit.hpp"
#include "store/credentials.hpp"
#include "store/lmdb_error.hpp"
#include "store/log.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

using core::Errc;
using core::make_error;

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

core::Status require_dbs(const Store& store) {
    if (!store.has_credentials() || store.audit_db() == 0)
        return make_error(Errc::store_error, "store at " + store.options().path.string() + " has no credentials or audit database");
    return core::Ok{};
}

core::Status write(MDB_txn* txn, const Store& store, const core::Credential& c, unsigned flags = 0) {
    const std::string encoded = encode_credential(c);
    MDB_val k = to_val(c.username);
    MDB_val v = to_val(encoded);
    if (int rc = mdb_put(txn, store.credentials_db(), &k, &v, flags); rc != 0) {
        if (rc == MDB_KEYEXIST) return make_error(Errc::conflict, "username " + c.username + " exists already");
        return lmdb_error(rc, "writing a credential");
    }
    return core::Ok{};
}

core::Status del_label(MDB_txn* txn, const Store& store, std::string_view label) {
    MDB_val k = to_val(label);
    const int rc = mdb_del(txn, store.labels_db(), &k, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "deleting a label");
    return core::Ok{};
}

std::string joined_labels(const core::Credential& c) {
    std::string out;
    for (const auto& l : c.labels) out += (out.empty() ? "" : ",") + l.name;
    return out;
}

AuditEvent event(AuditKind kind, const AdminActor& actor, std::string label, std::string detail) {
    AuditEvent e;
    e.kind = kind;
    e.actor = actor.name;
    e.source = actor.source;
    e.label = std::move(label);
    e.outcome = "ok";
    e.detail = std::move(detail);
    return e;
}

core::Result<core::Name> key_name(const core::Zone& zone, std::string_view label) {
    return zone.apex().prepend(label);
}

core::Status record_failure(Store& store, AuditKind kind, const AdminActor& actor, std::string_view target, const core::Error& error) {
    AuditEvent e = event(kind, actor, std::string(target), "error=\"" + error.message + "\"");
    e.outcome = core::to_string(error.code);
    return AuditLog(store).append(std::move(e));
}

}  // namespace

std::string apex_text(const core::Zone& zone) {
    std::string apex = zone.apex().to_text();
    if (apex.size() > 1 && apex.back() == '.') apex.pop_back();
    return apex;
}

core::Result<std::int64_t> parse_time_spec(std::string_view text, std::int64_t now) {
    if (text.empty()) return make_error(Errc::invalid_argument, "an empty time");
    std::int64_t value = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (value > 1'000'000'000'000) return make_error(Errc::invalid_argument, "time \"" + std::string(text) + "\" is too large");
        value = value * 10 + (text[i] - '0');
    }
    if (i == 0) return make_error(Errc::invalid_argument, "time \"" + std::string(text) + "\": expected Unix seconds or an age like 30d, 12h, 15m, 10s");
    if (i == text.size()) return value;
    if (i + 1 != text.size()) return make_error(Errc::invalid_argument, "time \"" + std::string(text) + "\": expected Unix seconds or an age like 30d, 12h, 15m, 10s");
    switch (text[i]) {
        case 'd': return now - value * 86400;
        case 'h': return now - value * 3600;
        case 'm': return now - value * 60;
        case 's': return now - value;
        default: break;
    }
    return make_error(Errc::invalid_argument, "time \"" + std::string(text) + "\": the unit must be d, h, m or s");
}

CredentialAdmin::CredentialAdmin(Store& store, Writer& writer, std::shared_ptr<const core::Zone> zone)
    : store_(store), writer_(writer), zone_(std::move(zone)) {}

core::Result<std::vector<TsigKey>> CredentialAdmin::keys_of(std::string_view username, bool with_secret) const {
    if (store_.tsig_keys_db() == 0) return std::vector<TsigKey>{};
    auto keys = TsigKeyStore(store_).list_for(username);
    if (!keys) return keys;
    if (!with_secret)
        for (auto& k : *keys) k.secret.clear();
    return keys;
}

core::Result<CredentialView> CredentialAdmin::issue(const IssueRequest& request, const AdminActor& actor) {
    if (auto st = require_dbs(store_); !st) return std::move(st).error();
    if (request.domains.empty()) return make_error(Errc::invalid_argument, "at least one customer name (domain) is needed");
    if (request.domains.size() > kMaxNamesPerCredential)
        return make_error(Errc::invalid_argument, "at most " + std::to_string(kMaxNamesPerCredential) + " names per credential");

    CredentialView view;
    core::Credential& c = view.credential;
    std::set<std::string> seen;
    for (const auto& given : request.domains) {
        auto name = core::normalise_customer_name(given);
        if (!name) return std::move(name).error();
        if (!seen.insert(*name).second) return make_error(Errc::invalid_argument, "name " + *name + " is given twice");
        const core::IssuedLabel made = core::make_label(*name, request.scheme);
        if (made.fell_back)
            view.notes.push_back("the reverse label for " + *name + " would exceed 63 octets; the hash scheme was used");
        if (!zone_->apex().prepend(made.label))
            return make_error(Errc::invalid_argument, "the label for " + *name + " does not fit below the zone " + apex_text(*zone_));
        c.labels.push_back(core::Label{made.label, *name, core::to_string(made.scheme)});
    }
    for (const auto& entry : request.allowfrom) {
        auto cidr = core::parse_cidr(entry);
        if (!cidr) return make_error(Errc::invalid_argument, "allowfrom \"" + entry + "\": expected an address range like 192.0.2.0/24");
        c.allowfrom.push_back(cidr->text);
    }
    c.username = core::random_uuid_v4();  // acme-dns clients send it as X-Api-User, which must be a UUID
    const std::string password = core::random_password();
    c.secret_hash = core::SecretHasher(store_.hash_key()).hash(password);
    c.created_at = unix_now();

    // One transaction: conflicts, take-overs (replace), the new credential, the audit events.
    std::vector<std::string> cleared;          // labels whose TXT values must go (taken over)
    std::vector<std::string> gone_users;       // credentials removed entirely by the take-over
    std::vector<std::string> stale_keys;       // TSIG key names of labels taken over
    {
        auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a credential write");
        if (!txn) return std::move(txn).error();
        auto all = read_all_credentials(txn->get(), store_);
        if (!all) return std::move(all).error();
        std::map<std::string, core::Credential> changed;  // old credentials losing labels
        for (const auto& label : c.labels) {
            for (const auto& other : *all) {
                for (const auto& held : other.labels) {
                    const bool same_name = !held.domain.empty() && held.domain == label.domain;
                    const bool same_label = held.name == label.name;
                    if (!same_name && !same_label) continue;
                    if (same_label && !same_name)
                        return make_error(Errc::conflict, "label " + label.name + " (for " + label.domain + ") belongs to credential " +
                                                              other.username + " for another name");
                    if (!request.replace)
                        return make_error(Errc::conflict, "name " + label.domain + " already has credential " + other.username +
                                                              " (label " + held.name + "); ask to replace it");
                    auto [it, inserted] = changed.try_emplace(other.username, other);
                    (void)inserted;
                    std::erase_if(it->second.labels, [&](const core::Label& l) { return l.name == held.name; });
                    cleared.push_back(held.name);
                    if (auto kn = key_name(*zone_, held.name)) stale_keys.push_back(kn->to_canonical_text());
                    if (auto st = del_label(txn->get(), store_, held.name); !st) return std::move(st).error();
                }
            }
        }
        for (auto& [username, old] : changed) {
            if (old.labels.empty()) {
                MDB_val k = to_val(username);
                if (int rc = mdb_del(txn->get(), store_.credentials_db(), &k, nullptr); rc != 0)
                    return lmdb_error(rc, "deleting a credential");
                gone_users.push_back(username);
                AuditEvent e = event(AuditKind::revoke, actor, "", "replaced by " + c.username);
                e.detail = "credential " + username + " replaced by " + c.username;
                if (auto st = append_audit(txn->get(), store_.audit_db(), e); !st) return std::move(st).error();
            } else if (auto st = write(txn->get(), store_, old); !st) {
                return std::move(st).error();
            }
        }
        if (auto st = write(txn->get(), store_, c, MDB_NOOVERWRITE); !st) return std::move(st).error();
        for (const auto& label : c.labels) {
            MDB_val lk = to_val(label.name);
            MDB_val lv = to_val(c.username);
            if (int rc = mdb_put(txn->get(), store_.labels_db(), &lk, &lv, MDB_NOOVERWRITE); rc != 0) {
                if (rc == MDB_KEYEXIST) return make_error(Errc::conflict, "label " + label.name + " belongs to another credential");
                return lmdb_error(rc, "writing a label");
            }
        }
        std::string detail = "credential " + c.username + " names=";
        for (std::size_t i = 0; i < c.labels.size(); ++i) detail += (i ? "," : "") + c.labels[i].domain;
        detail += " scheme=" + std::string(core::to_string(request.scheme)) + (request.replace ? " replace=true" : "");
        AuditEvent e = event(request.audit_kind, actor, joined_labels(c), detail);
        if (auto st = append_audit(txn->get(), store_.audit_db(), e); !st) return std::move(st).error();
        if (auto st = txn->commit("committing a credential"); !st) return std::move(st).error();
    }
    view.password = password;
    view.show_tsig_secret = true;

    // TSIG: keys of taken-over labels go; the new credential gets one named after its first label.
    TsigKeyStore keys(store_);
    for (const auto& user : gone_users)
        if (auto removed = keys.remove_for(user); !removed) logger()->warn("event=tsig_cleanup outcome=failed error=\"{}\"", removed.error().message);
    for (const auto& kn : stale_keys)
        if (auto name = core::Name::from_text(kn)) (void)keys.remove(*name);
    auto name = key_name(*zone_, c.labels.front().name);
    if (!name) return std::move(name).error();
    TsigKey key{*name, std::string(kIssuedTsigAlgorithm), std::string(kIssuedTsigBytes, '\0'), c.username};
    core::random_bytes(reinterpret_cast<std::uint8_t*>(key.secret.data()), key.secret.size());
    if (auto st = keys.insert(key); !st) {
        // Leave nothing half-made: the credential goes again, and the caller sees why.
        (void)revoke(c.username, AdminActor{actor.name, actor.source});
        return std::move(st).error();
    }
    view.tsig_keys.push_back(std::move(key));
    if (!cleared.empty()) {
        if (auto st = clear_txt(cleared, actor); !st)
            view.notes.push_back("the old TXT values of the replaced labels could not be removed: " + st.error().message);
    }
    return view;
}

core::Result<std::vector<CredentialView>> CredentialAdmin::list(const CredentialFilter& f) const {
    std::vector<CredentialView> out;
    if (!store_.has_credentials()) return out;
    auto all = CredentialStore(store_).list();
    if (!all) return std::move(all).error();
    std::optional<std::string> name;
    if (f.name) {
        auto normalised = core::normalise_customer_name(*f.name);
        if (!normalised) return std::move(normalised).error();
        name = *normalised;
    }
    for (auto& c : *all) {
        const auto any_label = [&](auto pred) { return std::any_of(c.labels.begin(), c.labels.end(), pred); };
        if (name && !any_label([&](const core::Label& l) {
                return l.domain == *name || (l.domain.size() > name->size() && l.domain.ends_with("." + *name));
            }))
            continue;
        if (f.label && !any_label([&](const core::Label& l) { return l.name == *f.label; })) continue;
        if (f.scheme && !any_label([&](const core::Label& l) { return l.scheme == *f.scheme; })) continue;
        if (f.used_since && c.last_used_at < *f.used_since) continue;
        if (f.unused_since && c.last_used_at >= *f.unused_since) continue;
        if (f.disabled && c.disabled != *f.disabled) continue;
        CredentialView view;
        auto keys = keys_of(c.username, false);
        if (!keys) return std::move(keys).error();
        view.tsig_keys = std::move(keys.value());
        view.credential = std::move(c);
        out.push_back(std::move(view));
    }
    return out;
}

core::Result<CredentialView> CredentialAdmin::show(std::string_view username) const {
    CredentialView view;
    auto found = CredentialStore(store_).find(username, view.credential);
    if (!found) return std::move(found).error();
    if (!*found) return make_error(Errc::not_found, "no credential " + std::string(username));
    auto keys = keys_of(username, false);
    if (!keys) return std::move(keys).error();
    view.tsig_keys = std::move(keys.value());
    return view;
}

core::Result<CredentialView> CredentialAdmin::rotate(std::string_view username, bool new_tsig, const AdminActor& actor) {
    if (auto st = require_dbs(store_); !st) return std::move(st).error();
    CredentialView view;
    const std::string password = core::random_password();
    {
        auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a credential write");
        if (!txn) return std::move(txn).error();
        auto found = read_credential(txn->get(), store_, username, view.credential);
        if (!found) return std::move(found).error();
        if (!*found) return make_error(Errc::not_found, "no credential " + std::string(username));
        view.credential.secret_hash = core::SecretHasher(store_.hash_key()).hash(password);
        if (auto st = write(txn->get(), store_, view.credential); !st) return std::move(st).error();
        AuditEvent e = event(AuditKind::rotate, actor, joined_labels(view.credential),
                             "credential " + std::string(username) + (new_tsig ? " tsig=new" : " tsig=kept"));
        if (auto st = append_audit(txn->get(), store_.audit_db(), e); !st) return std::move(st).error();
        if (auto st = txn->commit("committing a credential"); !st) return std::move(st).error();
    }
    view.password = password;
    auto keys = keys_of(username, new_tsig);
    if (!keys) return std::move(keys).error();
    if (new_tsig) {
        TsigKeyStore store(store_);
        for (auto& key : *keys) {
            core::random_bytes(reinterpret_cast<std::uint8_t*>(key.secret.data()), key.secret.size());
            if (auto removed = store.remove(key.name); !removed) return std::move(removed).error();
            if (auto st = store.insert(key); !st) return std::move(st).error();
        }
        view.show_tsig_secret = true;
    }
    view.tsig_keys = std::move(keys.value());
    return view;
}

core::Result<CredentialView> CredentialAdmin::set_disabled(std::string_view username, bool disabled, const AdminActor& actor) {
    if (auto st = require_dbs(store_); !st) return std::move(st).error();
    CredentialView view;
    {
        auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a credential write");
        if (!txn) return std::move(txn).error();
        auto found = read_credential(txn->get(), store_, username, view.credential);
        if (!found) return std::move(found).error();
        if (!*found) return make_error(Errc::not_found, "no credential " + std::string(username));
        const bool was = view.credential.disabled;
        view.credential.disabled = disabled;
        if (auto st = write(txn->get(), store_, view.credential); !st) return std::move(st).error();
        AuditEvent e = event(disabled ? AuditKind::disable : AuditKind::enable, actor, joined_labels(view.credential),
                             "credential " + std::string(username));
        if (was == disabled) e.outcome = "unchanged";
        if (auto st = append_audit(txn->get(), store_.audit_db(), e); !st) return std::move(st).error();
        if (auto st = txn->commit("committing a credential"); !st) return std::move(st).error();
    }
    auto keys = keys_of(username, false);
    if (!keys) return std::move(keys).error();
    view.tsig_keys = std::move(keys.value());
    return view;
}

core::Status CredentialAdmin::revoke(std::string_view username, const AdminActor& actor) {
    if (auto st = require_dbs(store_); !st) return st;
    core::Credential c;
    {
        auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a credential write");
        if (!txn) return std::move(txn).error();
        auto found = read_credential(txn->get(), store_, username, c);
        if (!found) return std::move(found).error();
        if (!*found) return make_error(Errc::not_found, "no credential " + std::string(username));
        MDB_val k = to_val(username);
        if (int rc = mdb_del(txn->get(), store_.credentials_db(), &k, nullptr); rc != 0) return lmdb_error(rc, "deleting a credential");
        for (const auto& label : c.labels) {
            // Only labels still pointing at this credential (never another's).
            MDB_val lk = to_val(label.name);
            MDB_val lv{};
            if (mdb_get(txn->get(), store_.labels_db(), &lk, &lv) == 0 &&
                std::string_view(static_cast<const char*>(lv.mv_data), lv.mv_size) == username) {
                if (auto st = del_label(txn->get(), store_, label.name); !st) return st;
            }
        }
        AuditEvent e = event(AuditKind::revoke, actor, joined_labels(c), "credential " + std::string(username));
        if (auto st = append_audit(txn->get(), store_.audit_db(), e); !st) return st;
        if (auto st = txn->commit("committing a credential"); !st) return st;
    }
    // The credential can no longer authenticate; now its keys and its records go.
    if (store_.tsig_keys_db() != 0) {
        if (auto removed = TsigKeyStore(store_).remove_for(username); !removed) return std::move(removed).error();
    }
    std::vector<std::string> labels;
    for (const auto& l : c.labels) labels.push_back(l.name);
    return clear_txt(labels, actor);
}

core::Status CredentialAdmin::clear_txt(const std::vector<std::string>& labels, const AdminActor& actor) {
    if (labels.empty()) return core::Ok{};
    core::ChangeSet change;
    for (const auto& label : labels) {
        auto owner = zone_->apex().prepend(label);
        if (!owner) return std::move(owner).error();
        if (zone_->is_reserved_owner(*owner)) continue;  // never ours to touch
        change.operations.push_back(core::Operation{core::OpKind::delete_rrset, std::move(owner.value()), core::rrtype::TXT, 0, {}, 0});
    }
    if (change.operations.empty()) return core::Ok{};
    change.actor = actor.name;
    change.source = actor.source;
    auto future = writer_.submit(std::move(change));
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
        return make_error(Errc::internal, "the writer did not answer within 60 s");
    auto result = future.get();
    if (!result) return std::move(result).error();
    return core::Ok{};
}

core::Result<bool> CredentialAdmin::delete_txt(std::string_view label, const AdminActor& actor) {
    std::string lower(label);
    for (auto& ch : lower) ch = static_cast<char>(core::fold_case(static_cast<std::uint8_t>(ch)));
    auto owner = lower.empty() || lower.find('.') != std::string::npos ? core::Result<core::Name>(make_error(Errc::invalid_argument, ""))
                                                                       : zone_->apex().prepend(lower);
    if (!owner) return make_error(Errc::invalid_argument, "\"" + std::string(label) + "\" is not a single label below the zone");
    if (zone_->is_reserved_owner(*owner))
        return make_error(Errc::forbidden, owner->to_text() + " is reserved (zone apex or static records)");
    core::ChangeSet change;
    change.operations.push_back(core::Operation{core::OpKind::delete_rrset, *owner, core::rrtype::TXT, 0, {}, 0});
    change.actor = actor.name;
    change.source = actor.source;
    auto future = writer_.submit(std::move(change));
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
        return make_error(Errc::internal, "the writer did not answer within 60 s");
    auto result = future.get();
    if (!result) {
        (void)record_failure(store_, AuditKind::delete_txt, actor, lower, result.error());
        return std::move(result).error();
    }
    AuditEvent e = event(AuditKind::delete_txt, actor, lower, result->changed ? "deleted" : "nothing to delete");
    if (!result->changed) e.outcome = "unchanged";
    if (auto st = AuditLog(store_).append(std::move(e)); !st) return std::move(st).error();
    return result->changed;
}

}  // namespace acmezone::store
