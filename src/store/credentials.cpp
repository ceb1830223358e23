#include "store/credentials.hpp"

#include <algorithm>
#include <cstring>

#include "store/big_endian.hpp"
#include "store/lmdb_error.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

using core::Errc;
using core::make_error;

constexpr std::uint8_t kFlagDisabled = 0x01;
constexpr std::size_t kMaxField = 0xffff;

// A length field: the value is capped at kMaxField first, so it fits 16 bits.
void put_length(std::string& out, std::size_t n) { put_u16(out, static_cast<std::uint16_t>(std::min(n, kMaxField))); }

void put_string(std::string& out, std::string_view s) {
    put_length(out, s.size());
    out.append(s.substr(0, kMaxField));
}

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> d) : d_(d) {}
    bool u8(std::uint8_t& v) {
        if (pos_ + 1 > d_.size()) return false;
        v = d_[pos_++];
        return true;
    }
    bool u16(std::size_t& v) {
        if (pos_ + 2 > d_.size()) return false;
        v = (std::size_t{d_[pos_]} << 8) | d_[pos_ + 1];
        pos_ += 2;
        return true;
    }
    bool i64(std::int64_t& v) {
        if (pos_ + 8 > d_.size()) return false;
        std::uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = (u << 8) | d_[pos_ + static_cast<std::size_t>(i)];
        pos_ += 8;
        v = static_cast<std::int64_t>(u);
        return true;
    }
    bool str(std::string& s) {
        std::size_t n = 0;
        if (!u16(n) || pos_ + n > d_.size()) return false;
        s.assign(reinterpret_cast<const char*>(d_.data() + pos_), n);
        pos_ += n;
        return true;
    }
    bool strings(std::vector<std::string>& v) {
        std::size_t n = 0;
        if (!u16(n)) return false;
        v.resize(n);
        for (auto& s : v)
            if (!str(s)) return false;
        return true;
    }
    bool labels(std::vector<core::Label>& v) {
        std::size_t n = 0;
        if (!u16(n)) return false;
        v.resize(n);
        for (auto& label : v)
            if (!str(label.name) || !str(label.domain) || !str(label.scheme)) return false;
        return true;
    }
    bool done() const { return pos_ == d_.size(); }

private:
    std::span<const std::uint8_t> d_;
    std::size_t pos_ = 0;
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

core::Status require_dbs(const Store& store) {
    if (!store.has_credentials())
        return make_error(Errc::store_error, "store at " + store.options().path.string() + " has no credentials database");
    return core::Ok{};
}

}  // namespace

core::Result<bool> read_credential(MDB_txn* txn, const Store& store, std::string_view username, core::Credential& out) {
    MDB_val k = to_val(username);
    MDB_val v{};
    const int rc = mdb_get(txn, store.credentials_db(), &k, &v);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return lmdb_error(rc, "reading a credential");
    auto st = decode_credential({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size}, out);
    if (!st) return make_error(Errc::store_error, "stored credential is unreadable: " + st.error().message);
    return true;
}

std::string encode_credential(const core::Credential& c) {
    std::string out;
    out.push_back(static_cast<char>(kCredentialFormat));
    out.push_back(static_cast<char>(c.disabled ? kFlagDisabled : 0));
    const auto created = static_cast<std::uint64_t>(c.created_at);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((created >> shift) & 0xff));
    put_string(out, c.username);
    put_string(out, c.secret_hash);
    put_length(out, c.allowfrom.size());
    for (std::size_t i = 0; i < c.allowfrom.size() && i < kMaxField; ++i) put_string(out, c.allowfrom[i]);
    put_length(out, c.labels.size());
    for (std::size_t i = 0; i < c.labels.size() && i < kMaxField; ++i) {
        put_string(out, c.labels[i].name);
        put_string(out, c.labels[i].domain);
        put_string(out, c.labels[i].scheme);
    }
    // Added after format 1 shipped, at the end: records written before it simply end earlier.
    const auto used = static_cast<std::uint64_t>(c.last_used_at);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((used >> shift) & 0xff));
    return out;
}

core::Status decode_credential(std::span<const std::uint8_t> data, core::Credential& out) {
    Reader r(data);
    std::uint8_t version = 0;
    std::uint8_t flags = 0;
    if (!r.u8(version)) return make_error(Errc::invalid_argument, "empty credential record");
    if (version != kCredentialFormat)
        return make_error(Errc::invalid_argument, "credential record format " + std::to_string(version) + " is unknown");
    if (!r.u8(flags) || !r.i64(out.created_at) || !r.str(out.username) || !r.str(out.secret_hash) ||
        !r.strings(out.allowfrom) || !r.labels(out.labels))
        return make_error(Errc::invalid_argument, "truncated or oversized credential record");
    out.last_used_at = 0;
    if (!r.done() && !r.i64(out.last_used_at))  // optional trailing field (see encode_credential)
        return make_error(Errc::invalid_argument, "truncated credential record (last use)");
    if (!r.done()) return make_error(Errc::invalid_argument, "oversized credential record");
    out.disabled = (flags & kFlagDisabled) != 0;
    return core::Ok{};
}

core::Status CredentialStore::insert(const core::Credential& credential) {
    if (auto st = require_dbs(store_); !st) return st;
    if (credential.username.empty() || credential.username.size() > 255)
        return make_error(Errc::invalid_argument, "a username must have 1 to 255 characters");
    core::Credential stored = credential;
    for (auto& label : stored.labels) {
        if (label.name.empty() || label.name.size() > 63)
            return make_error(Errc::invalid_argument, "a label must have 1 to 63 characters");
        label.name = lower(label.name);
    }
    const std::string encoded = encode_credential(stored);

    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a credential write");
    if (!txn) return std::move(txn).error();
    MDB_val k = to_val(stored.username);
    MDB_val v = to_val(encoded);
    if (int rc = mdb_put(txn->get(), store_.credentials_db(), &k, &v, MDB_NOOVERWRITE); rc != 0) {
        if (rc == MDB_KEYEXIST) return make_error(Errc::conflict, "username " + stored.username + " exists already");
        return lmdb_error(rc, "writing a credential");
    }
    for (const auto& label : stored.labels) {
        MDB_val lk = to_val(label.name);
        MDB_val lv = to_val(stored.username);
        if (int rc = mdb_put(txn->get(), store_.labels_db(), &lk, &lv, MDB_NOOVERWRITE); rc != 0) {
            if (rc == MDB_KEYEXIST) return make_error(Errc::conflict, "label " + label.name + " belongs to another credential");
            return lmdb_error(rc, "writing a label");
        }
    }
    return txn->commit("committing a credential");
}

core::Result<bool> CredentialStore::find(std::string_view username, core::Credential& out) const {
    if (!store_.has_credentials()) return false;
    auto txn = Txn::begin(store_.env(), nullptr, MDB_RDONLY, "starting a credential read");
    if (!txn) return std::move(txn).error();
    return read_credential(txn->get(), store_, username, out);
}

core::Result<std::optional<std::string>> CredentialStore::owner_of(std::string_view label) const {
    if (!store_.has_credentials()) return std::optional<std::string>{};
    auto txn = Txn::begin(store_.env(), nullptr, MDB_RDONLY, "starting a label read");
    if (!txn) return std::move(txn).error();
    const std::string key = lower(label);
    MDB_val k = to_val(key);
    MDB_val v{};
    const int rc = mdb_get(txn->get(), store_.labels_db(), &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<std::string>{};
    if (rc != 0) return lmdb_error(rc, "reading a label");
    return std::optional<std::string>(std::string(static_cast<const char*>(v.mv_data), v.mv_size));
}

core::Result<bool> CredentialStore::update_secret_hash(std::string_view username, std::string_view expected,
                                                       std::string_view new_hash) {
    if (auto st = require_dbs(store_); !st) return std::move(st).error();
    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a credential write");
    if (!txn) return std::move(txn).error();
    core::Credential c;
    auto found = read_credential(txn->get(), store_, username, c);
    if (!found) return std::move(found).error();
    if (!*found || c.secret_hash != expected) return false;
    c.secret_hash = new_hash;
    const std::string encoded = encode_credential(c);
    MDB_val k = to_val(username);
    MDB_val v = to_val(encoded);
    if (int rc = mdb_put(txn->get(), store_.credentials_db(), &k, &v, 0); rc != 0) return lmdb_error(rc, "writing a credential");
    if (auto st = txn->commit("committing a credential"); !st) return std::move(st).error();
    return true;
}

core::Result<bool> CredentialStore::touch(std::string_view username, std::int64_t now, std::int64_t min_age) {
    if (auto st = require_dbs(store_); !st) return std::move(st).error();
    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a credential write");
    if (!txn) return std::move(txn).error();
    core::Credential c;
    auto found = read_credential(txn->get(), store_, username, c);
    if (!found) return std::move(found).error();
    if (!*found || now - c.last_used_at < min_age) return false;
    c.last_used_at = now;
    const std::string encoded = encode_credential(c);
    MDB_val k = to_val(username);
    MDB_val v = to_val(encoded);
    if (int rc = mdb_put(txn->get(), store_.credentials_db(), &k, &v, 0); rc != 0) return lmdb_error(rc, "writing a credential");
    if (auto st = txn->commit("committing a credential"); !st) return std::move(st).error();
    return true;
}

core::Result<std::vector<core::Credential>> read_all_credentials(MDB_txn* txn, const Store& store) {
    std::vector<core::Credential> out;
    auto cursor = Cursor::open(txn, store.credentials_db());
    if (!cursor) return std::move(cursor).error();
    MDB_val k{};
    MDB_val v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST);
    while (rc == 0) {
        core::Credential c;
        auto st = decode_credential({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size}, c);
        if (!st) return make_error(Errc::store_error, "stored credential is unreadable: " + st.error().message);
        out.push_back(std::move(c));
        rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc, "listing credentials");
    return out;
}

core::Result<std::vector<core::Credential>> CredentialStore::list() const {
    if (!store_.has_credentials()) return std::vector<core::Credential>{};
    auto txn = Txn::begin(store_.env(), nullptr, MDB_RDONLY, "starting a credential read");
    if (!txn) return std::move(txn).error();
    return read_all_credentials(txn->get(), store_);
}

}  // namespace acmezone::store
