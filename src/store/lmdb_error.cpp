#include "store/lmdb_error.hpp"

#include <string>

#include <lmdb.h>

namespace acmezone::store {

core::Error lmdb_error(int rc, std::string_view operation) {
    if (rc == MDB_MAP_FULL)
        return core::make_error(core::Errc::store_full,
                                "the store's map is full, nothing was written (during " + std::string(operation) +
                                    "); raise store.map_size_mb");
    return core::make_error(core::Errc::store_error,
                            "store: " + std::string(operation) + " failed: " + mdb_strerror(rc));
}

}  // namespace acmezone::store
