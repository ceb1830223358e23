#include "app/logging.hpp"

#include <array>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace acmezone::app {

namespace {
constexpr std::array<std::string_view, 4> kModuleLoggers = {"app", "store", "dns", "api"};
}

void setup_logging(spdlog::level::level_enum level) {
    // A plain (uncoloured) sink: the output is for log collectors as much as for people.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_pattern(std::string(kLogPattern));
    for (std::string_view name : kModuleLoggers) {
        spdlog::drop(std::string(name));
        auto logger = std::make_shared<spdlog::logger>(std::string(name), sink);
        logger->set_level(level);
        // Warnings and errors reach the terminal at once even if the process dies right after.
        logger->flush_on(spdlog::level::warn);
        spdlog::register_logger(logger);
        if (name == "app") spdlog::set_default_logger(logger);
    }
}

std::shared_ptr<spdlog::logger> app_log() {
    auto logger = spdlog::get("app");
    if (!logger) {
        setup_logging(spdlog::level::info);
        logger = spdlog::get("app");
    }
    return logger;
}

}  // namespace acmezone::app
