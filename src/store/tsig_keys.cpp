#include "store/tsig_keys.hpp"

#include <algorithm>

#include "store/lmdb_error.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

using core::Errc;
using core::make_error;

// Stored value: version byte, then length-prefixed (u16) fields: name wire (case kept),
// algorithm, secret, username. The key is the canonical (lower-case) wire name.
constexpr std::uint8_t kTsigKeyFormat = 1;

void put_string(std::string& out, std::string_view s) {
    out.push_back(static_cast<char>((s.size() >> 8) & 0xff));
    out.push_back(static_cast<char>(s.size() & 0xff));
    out.append(s);
}

bool get_string(std::string_view& in, std::string& out) {
    if (in.size() < 2) return false;
    const std::size_t n = (std::size_t{static_cast<std::uint8_t>(in[0])} << 8) | static_cast<std::uint8_t>(in[1]);
    if (in.size() < 2 + n) return false;
    out.assign(in.substr(2, n));
    in.remove_prefix(2 + n);
    return true;
}

std::string encode(const TsigKey& key) {
    std::string out;
    out.push_back(static_cast<char>(kTsigKeyFormat));
    put_string(out, key.name.wire());
    put_string(out, key.algorithm);
    put_string(out, key.secret);
    put_string(out, key.username);
    return out;
}

core::Status decode(std::string_view in, TsigKey& out) {
    if (in.empty()) return make_error(Errc::store_error, "empty TSIG key record");
    if (static_cast<std::uint8_t>(in[0]) != kTsigKeyFormat)
        return make_error(Errc::store_error,
                          "TSIG key record format " + std::to_string(static_cast<std::uint8_t>(in[0])) + " is unknown");
    in.remove_prefix(1);
    std::string wire;
    if (!get_string(in, wire) || !get_string(in, out.algorithm) || !get_string(in, out.secret) ||
        !get_string(in, out.username) || !in.empty())
        return make_error(Errc::store_error, "truncated or oversized TSIG key record");
    auto name = core::Name::from_wire({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
    if (!name) return make_error(Errc::store_error, "stored TSIG key name is unreadable");
    out.name = std::move(name).value();
    return core::Ok{};
}

std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

core::Status require_db(const Store& store) {
    if (store.tsig_keys_db() == 0)
        return make_error(Errc::store_error, "store at " + store.options().path.string() + " has no tsig_keys database");
    return core::Ok{};
}

bool known_algorithm(std::string_view a) {
    for (std::string_view k : {"hmac-sha256", "hmac-sha1", "hmac-sha224", "hmac-sha384", "hmac-sha512", "hmac-md5"})
        if (a == k) return true;
    return false;
}

}  // namespace

core::Status TsigKeyStore::insert(const TsigKey& key) {
    if (auto st = require_db(store_); !st) return st;
    if (key.name.is_root()) return make_error(Errc::invalid_argument, "a TSIG key needs a name");
    if (!known_algorithm(key.algorithm))
        return make_error(Errc::invalid_argument, "unknown TSIG algorithm " + key.algorithm);
    if (key.secret.empty() || key.secret.size() > 1024)
        return make_error(Errc::invalid_argument, "a TSIG secret must have 1 to 1024 bytes");
    if (key.username.empty() || key.username.size() > 255)
        return make_error(Errc::invalid_argument, "a TSIG key must be bound to a username");
    const std::string encoded = encode(key);
    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a TSIG key write");
    if (!txn) return std::move(txn).error();
    MDB_val k = to_val(key.name.canonical_wire());
    MDB_val v = to_val(encoded);
    if (int rc = mdb_put(txn->get(), store_.tsig_keys_db(), &k, &v, MDB_NOOVERWRITE); rc != 0) {
        if (rc == MDB_KEYEXIST) return make_error(Errc::conflict, "TSIG key " + key.name.to_text() + " exists already");
        return lmdb_error(rc, "writing a TSIG key");
    }
    return txn->commit("committing a TSIG key");
}

core::Result<bool> TsigKeyStore::find(const core::Name& name, TsigKey& out) const {
    if (store_.tsig_keys_db() == 0) return false;
    auto txn = Txn::begin(store_.env(), nullptr, MDB_RDONLY, "starting a TSIG key read");
    if (!txn) return std::move(txn).error();
    MDB_val k = to_val(name.canonical_wire());
    MDB_val v{};
    const int rc = mdb_get(txn->get(), store_.tsig_keys_db(), &k, &v);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return lmdb_error(rc, "reading a TSIG key");
    if (auto st = decode(view(v), out); !st) return std::move(st).error();
    return true;
}

core::Result<bool> TsigKeyStore::remove(const core::Name& name) {
    if (auto st = require_db(store_); !st) return std::move(st).error();
    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a TSIG key write");
    if (!txn) return std::move(txn).error();
    MDB_val k = to_val(name.canonical_wire());
    const int rc = mdb_del(txn->get(), store_.tsig_keys_db(), &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return lmdb_error(rc, "removing a TSIG key");
    if (auto st = txn->commit("committing a TSIG key removal"); !st) return std::move(st).error();
    return true;
}

core::Result<std::size_t> TsigKeyStore::remove_for(std::string_view username) {
    if (auto st = require_db(store_); !st) return std::move(st).error();
    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a TSIG key write");
    if (!txn) return std::move(txn).error();
    std::size_t removed = 0;
    {
        auto cursor = Cursor::open(txn->get(), store_.tsig_keys_db());
        if (!cursor) return std::move(cursor).error();
        MDB_val k{};
        MDB_val v{};
        TsigKey key;
        int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST);
        while (rc == 0) {
            if (auto st = decode(view(v), key); !st) return std::move(st).error();
            if (key.username == username) {
                if (int d = mdb_cursor_del(cursor->get(), 0); d != 0) return lmdb_error(d, "removing a TSIG key");
                ++removed;
            }
            rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT);
        }
        if (rc != MDB_NOTFOUND) return lmdb_error(rc, "listing TSIG keys");
    }
    if (removed == 0) return removed;
    if (auto st = txn->commit("committing TSIG key removals"); !st) return std::move(st).error();
    return removed;
}

core::Result<std::vector<TsigKey>> TsigKeyStore::list_for(std::string_view username) const {
    std::vector<TsigKey> out;
    if (store_.tsig_keys_db() == 0) return out;
    auto txn = Txn::begin(store_.env(), nullptr, MDB_RDONLY, "starting a TSIG key read");
    if (!txn) return std::move(txn).error();
    auto cursor = Cursor::open(txn->get(), store_.tsig_keys_db());
    if (!cursor) return std::move(cursor).error();
    MDB_val k{};
    MDB_val v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST);
    while (rc == 0) {
        TsigKey key;
        if (auto st = decode(view(v), key); !st) return std::move(st).error();
        if (key.username == username) out.push_back(std::move(key));
        rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc, "listing TSIG keys");
    return out;
}

}  // namespace acmezone::store
