// app/logging: one stderr sink shared by one named logger per module ("app", "store", "dns",
// "api"), registered with spdlog so other modules fetch theirs with spdlog::get(name) (and must
// tolerate nullptr when the app did not set logging up, e.g. in unit tests). Lines are
// "event=... key=value"; secrets are never logged. Call once at start-up, before threads start.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace acmezone::app {

inline constexpr std::string_view kLogPattern = "%Y-%m-%dT%H:%M:%S.%e%z %l %n %v";

// Creates (or re-creates) the module loggers at `level`; "app" also becomes the default logger.
void setup_logging(spdlog::level::level_enum level);

// The "app" logger (set up on first use at info if setup_logging was not called).
std::shared_ptr<spdlog::logger> app_log();

}  // namespace acmezone::app
