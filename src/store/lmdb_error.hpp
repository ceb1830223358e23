// store/lmdb_error: the one place where LMDB return codes become core::Error. Everything
// above the store sees only Errc::store_full (nothing was written, the map is full) or
// Errc::store_error (with LMDB's text and the operation that failed).
#pragma once

#include <string_view>

#include "core/result.hpp"

namespace acmezone::store {

core::Error lmdb_error(int rc, std::string_view operation);

}  // namespace acmezone::store
