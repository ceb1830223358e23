// store/log: the module's named logger ("store"), falling back to the default logger when
// the application has not registered one (tests, tools).
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace acmezone::store {

inline std::shared_ptr<spdlog::logger> logger() {
    if (auto named = spdlog::get("store")) return named;
    return spdlog::default_logger();
}

}  // namespace acmezone::store
