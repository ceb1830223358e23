// api/log: the module's named logger ("api"), or the default logger when the application did
// not register one (tests).
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace acmezone::api {

inline std::shared_ptr<spdlog::logger> logger() {
    if (auto named = spdlog::get("api")) return named;
    return spdlog::default_logger();
}

}  // namespace acmezone::api
