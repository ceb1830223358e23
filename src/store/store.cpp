#include "store/store.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>

#include <sys/stat.h>

#include "core/random.hpp"
#include "store/lmdb_error.hpp"
#include "store/meta.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

constexpr unsigned kMaxDbs = 16;  // the named databases of store.hpp, with room for the journal and later ones

// Creates the data folder (and missing parents) with mode 0700: it holds every TXT value
// and, later, credentials. An existing folder is used as it is.
core::Status ensure_folder(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return core::Ok{};
    if (path.has_parent_path() && !path.parent_path().empty()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) return core::make_error(core::Errc::store_error, "store.path: cannot create " + path.parent_path().string() + ": " + ec.message());
    }
    if (::mkdir(path.c_str(), 0700) != 0) {
        if (errno == EEXIST && std::filesystem::is_directory(path, ec)) return core::Ok{};  // created meanwhile
        return core::make_error(core::Errc::store_error, "store.path: cannot create " + path.string() + ": " + std::strerror(errno));
    }
    // mkdir honours the umask, which can only remove bits; make the mode exact.
    if (::chmod(path.c_str(), 0700) != 0)
        return core::make_error(core::Errc::store_error, "store.path: cannot set mode 0700 on " + path.string() + ": " + std::strerror(errno));
    return core::Ok{};
}

core::Error schema_mismatch(const std::filesystem::path& path, std::uint32_t found) {
    return core::make_error(core::Errc::store_error, "store at " + path.string() + " has schema version " +
                                                          std::to_string(found) + " but this build uses schema version " +
                                                          std::to_string(kSchemaVersion));
}

}  // namespace

// Reads the secret-hash key from meta, creating it when missing (a new store, or one written
// before credentials existed). Two processes opening at once are serialised by LMDB's write
// lock, so only one key is ever created.
core::Status Store::load_hash_key(MDB_txn* txn, Store& store, bool read_only) {
    MDB_val k{kMetaHashKey.size(), const_cast<char*>(kMetaHashKey.data())};
    MDB_val v{};
    int rc = mdb_get(txn, store.meta_, &k, &v);
    if (rc == 0) {
        if (v.mv_size != store.hash_key_.size())
            return core::make_error(core::Errc::store_error, "store at " + store.options_.path.string() + " has a malformed hash key");
        std::memcpy(store.hash_key_.data(), v.mv_data, v.mv_size);
        store.hash_key_size_ = v.mv_size;
        return core::Ok{};
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc, "reading the hash key");
    if (read_only) return core::Ok{};
    core::random_bytes(store.hash_key_.data(), store.hash_key_.size());
    MDB_val nv{store.hash_key_.size(), store.hash_key_.data()};
    if (int w = mdb_put(txn, store.meta_, &k, &nv, 0); w != 0) return lmdb_error(w, "writing the hash key");
    store.hash_key_size_ = store.hash_key_.size();
    return core::Ok{};
}

core::Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
    std::unique_ptr<Store> store(new Store());
    store->options_ = options;
    if (options.read_only) {
        std::error_code ec;
        if (!std::filesystem::is_directory(options.path, ec))
            return core::make_error(core::Errc::store_error, "store at " + options.path.string() + " does not exist");
    } else if (auto st = ensure_folder(options.path); !st) {
        return std::move(st).error();
    }

    if (int rc = mdb_env_create(&store->env_); rc != 0) {
        store->env_ = nullptr;
        return lmdb_error(rc, "creating the environment");
    }
    if (int rc = mdb_env_set_maxdbs(store->env_, kMaxDbs); rc != 0) return lmdb_error(rc, "setting maxdbs");
    if (int rc = mdb_env_set_mapsize(store->env_, options.map_size); rc != 0) return lmdb_error(rc, "setting the map size");
    if (int rc = mdb_env_set_maxreaders(store->env_, options.max_readers); rc != 0) return lmdb_error(rc, "setting maxreaders");
    // MDB_NOTLS: a Snapshot is an object reused across batches and may move between threads.
    // No MDB_NOSYNC/MDB_NOMETASYNC: a commit must be on disk before a caller hears success.
    // MDB_NORDAHEAD: lookups are random; the kernel's read-ahead would map pages of the audit
    // log and journal around each record page and count them in the resident set.
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (options.read_only ? MDB_RDONLY : 0u);
    if (int rc = mdb_env_open(store->env_, options.path.c_str(), flags, 0600); rc != 0)
        return lmdb_error(rc, "opening " + options.path.string());

    auto txn = Txn::begin(store->env_, nullptr, options.read_only ? MDB_RDONLY : 0u, "starting the open transaction");
    if (!txn) return std::move(txn).error();
    const unsigned db_flags = options.read_only ? 0u : static_cast<unsigned>(MDB_CREATE);
    if (int rc = mdb_dbi_open(txn->get(), "records", db_flags, &store->records_); rc != 0) {
        if (rc == MDB_NOTFOUND)
            return core::make_error(core::Errc::store_error, "store at " + options.path.string() + " was never initialised (no records database)");
        return lmdb_error(rc, "opening the records database");
    }
    if (int rc = mdb_dbi_open(txn->get(), "meta", db_flags, &store->meta_); rc != 0) {
        if (rc == MDB_NOTFOUND)
            return core::make_error(core::Errc::store_error, "store at " + options.path.string() + " was never initialised (no meta database)");
        return lmdb_error(rc, "opening the meta database");
    }
    // Credentials, their labels, TSIG keys, the audit log and the IXFR journal. Schema v1 has them from the
    // start; a read-only open of a store written before they existed simply sees none.
    for (auto [name, dbi] : {std::pair{"credentials", &store->credentials_}, std::pair{"labels", &store->labels_},
                             std::pair{"tsig_keys", &store->tsig_keys_}, std::pair{"audit", &store->audit_},
                             std::pair{"journal", &store->journal_}}) {
        if (int rc = mdb_dbi_open(txn->get(), name, db_flags, dbi); rc != 0) {
            if (rc == MDB_NOTFOUND && options.read_only) continue;
            return lmdb_error(rc, std::string("opening the ") + name + " database");
        }
    }

    std::uint32_t version = 0;
    int rc = read_meta_u32(txn->get(), store->meta_, kMetaSchemaVersion, version);
    if (rc == MDB_NOTFOUND) {
        if (options.read_only)
            return core::make_error(core::Errc::store_error, "store at " + options.path.string() + " has no schema version");
        // First use: stamp the schema and start the serial at the current time, so a store
        // created again later (same zone) still moves the serial forward for secondaries.
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        if (int w = write_meta_u32(txn->get(), store->meta_, kMetaSchemaVersion, kSchemaVersion); w != 0)
            return lmdb_error(w, "writing the schema version");
        if (int w = write_meta_u32(txn->get(), store->meta_, kMetaSerial, static_cast<std::uint32_t>(now)); w != 0)
            return lmdb_error(w, "writing the initial serial");
    } else if (rc == MDB_INCOMPATIBLE) {
        return core::make_error(core::Errc::store_error, "store at " + options.path.string() + " has a malformed schema version");
    } else if (rc != 0) {
        return lmdb_error(rc, "reading the schema version");
    } else if (version != kSchemaVersion) {
        return schema_mismatch(options.path, version);
    }
    if (auto st = load_hash_key(txn->get(), *store, options.read_only); !st) return std::move(st).error();
    // Committing keeps the database handles open for the environment's lifetime.
    if (auto st = txn->commit("committing the open transaction"); !st) return std::move(st).error();
    return store;
}

Store::~Store() {
    if (env_) mdb_env_close(env_);
}

std::size_t Store::data_size() const noexcept {
    mdb_filehandle_t fd{};
    if (mdb_env_get_fd(env_, &fd) != 0) return 0;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return 0;
    return static_cast<std::size_t>(st.st_size);
}

}  // namespace acmezone::store
