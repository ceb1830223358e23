// app/logging: one stderr sink shared by one named logger per module (kLogModules), registered
// with spdlog so other modules fetch theirs with spdlog::get(name) (and must tolerate nullptr
// when the app did not set logging up, e.g. in unit tests). Code logs "event=... key=value";
// the sink writes that as text lines or as JSON lines (app/log_line), the one place where the
// format is decided. Secrets are never logged. Call setup_logging once at start-up, before
// threads start; set_log_levels is safe at any time (SIGHUP reload).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace acmezone::app {

inline constexpr std::string_view kLogPattern = "%Y-%m-%dT%H:%M:%S.%e%z %l %n %v";
// The module loggers ([log.modules] may name these).
inline constexpr std::array<std::string_view, 4> kLogModules = {"app", "store", "dns", "api"};

enum class LogFormat { text, json };

// Per-module levels that override the global one, e.g. {{"dns", warn}, {"api", debug}}.
using ModuleLevels = std::vector<std::pair<std::string, spdlog::level::level_enum>>;

struct LogSettings {
    spdlog::level::level_enum level = spdlog::level::info;
    LogFormat format = LogFormat::text;
    ModuleLevels modules;
};

// "text" / "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view text) noexcept;

// Creates (or re-creates) the module loggers; "app" also becomes the default logger.
void setup_logging(const LogSettings& settings);
void setup_logging(spdlog::level::level_enum level);  // text, the same level everywhere

// Sets every module logger's level: its entry in `modules`, else `level`. Thread-safe (spdlog
// levels are atomics); loggers that do not exist are skipped.
void set_log_levels(spdlog::level::level_enum level, const ModuleLevels& modules);

// The "app" logger (set up on first use at info if setup_logging was not called).
std::shared_ptr<spdlog::logger> app_log();

}  // namespace acmezone::app
