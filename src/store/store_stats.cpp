#include "store/store_stats.hpp"

#include <utility>

#include "store/lmdb_error.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

// Entries in one named database; 0 for one this store does not have (an old read-only open).
int entries(MDB_txn* txn, MDB_dbi dbi, std::uint64_t& out) {
    out = 0;
    if (dbi == 0) return 0;
    MDB_stat st{};
    if (int rc = mdb_stat(txn, dbi, &st); rc != 0) return rc;
    out = st.ms_entries;
    return 0;
}

}  // namespace

core::Result<StoreStats> read_store_stats(const Store& store) {
    StoreStats out;
    MDB_env* env = store.env();
    MDB_envinfo info{};
    if (int rc = mdb_env_info(env, &info); rc != 0) return lmdb_error(rc, "reading the environment info");
    MDB_stat env_stat{};
    if (int rc = mdb_env_stat(env, &env_stat); rc != 0) return lmdb_error(rc, "reading the environment statistics");
    out.file_bytes = store.data_size();
    out.map_bytes = info.me_mapsize;
    // Pages 0 and 1 are the meta pages; me_last_pgno is the highest page ever used.
    out.used_bytes = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * env_stat.ms_psize;
    out.readers = info.me_numreaders;
    out.max_readers = info.me_maxreaders;

    auto txn = Txn::begin(env, nullptr, MDB_RDONLY, "starting a statistics read");
    if (!txn) return std::move(txn).error();
    for (auto [dbi, target] : {std::pair{store.records_db(), &out.records}, std::pair{store.credentials_db(), &out.credentials},
                               std::pair{store.labels_db(), &out.labels}, std::pair{store.tsig_keys_db(), &out.tsig_keys}}) {
        if (int rc = entries(txn->get(), dbi, *target); rc != 0) return lmdb_error(rc, "reading database statistics");
    }
    return out;
}

}  // namespace acmezone::store
