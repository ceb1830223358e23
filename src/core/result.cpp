#include "core/result.hpp"

namespace acmezone::core {

const char* to_string(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument: return "invalid_argument";
        case Errc::not_found: return "not_found";
        case Errc::conflict: return "conflict";
        case Errc::forbidden: return "forbidden";
        case Errc::store_full: return "store_full";
        case Errc::store_error: return "store_error";
        case Errc::prerequisite_failed: return "prerequisite_failed";
        case Errc::shutting_down: return "shutting_down";
        case Errc::internal: return "internal";
    }
    return "unknown";
}

}  // namespace acmezone::core
