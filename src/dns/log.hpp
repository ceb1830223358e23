// dns/log: the module's named logger ("dns"), falling back to the default logger when the
// application has not registered one (tests, tools). Never used on the plain query path.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace acmezone::dns {

inline std::shared_ptr<spdlog::logger> logger() {
    if (auto named = spdlog::get("dns")) return named;
    return spdlog::default_logger();
}

}  // namespace acmezone::dns
