#include "app/logging.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "app/log_line.hpp"

namespace acmezone::app {

namespace {

// The text line: the pattern above, with the message escaped when it holds control characters
// or invalid UTF-8 (a value from a client cannot start a new line).
class TextFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const std::string_view payload(msg.payload.data(), msg.payload.size());
        if (!needs_escaping(payload)) {
            inner_.format(msg, dest);
            return;
        }
        std::string clean;
        append_escaped_text(payload, clean);
        spdlog::details::log_msg copy = msg;
        copy.payload = spdlog::string_view_t(clean.data(), clean.size());
        inner_.format(copy, dest);
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<TextFormatter>(); }

private:
    spdlog::pattern_formatter inner_{std::string(kLogPattern)};
};

// One JSON object per line (app/log_line); the time is UTC with milliseconds.
class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        using namespace std::chrono;
        const auto since_epoch = msg.time.time_since_epoch();
        const std::time_t seconds = duration_cast<std::chrono::seconds>(since_epoch).count();
        const auto millis = duration_cast<milliseconds>(since_epoch).count() % 1000;
        std::tm tm{};
        ::gmtime_r(&seconds, &tm);
        char ts[40];
        const std::size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(millis));
        const auto level = spdlog::level::to_string_view(msg.level);
        const std::string line =
            json_log_line(ts, std::string_view(level.data(), level.size()), std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                          std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(line.data(), line.data() + line.size());
        dest.push_back('\n');
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

spdlog::level::level_enum level_for(std::string_view module, spdlog::level::level_enum level, const ModuleLevels& modules) {
    for (const auto& [name, module_level] : modules)
        if (name == module) return module_level;
    return level;
}

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view text) noexcept {
    if (text == "text") return LogFormat::text;
    if (text == "json") return LogFormat::json;
    return std::nullopt;
}

void setup_logging(const LogSettings& settings) {
    // A plain (uncoloured) sink: the output is for log collectors as much as for people.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    if (settings.format == LogFormat::json)
        sink->set_formatter(std::make_unique<JsonFormatter>());
    else
        sink->set_formatter(std::make_unique<TextFormatter>());
    for (std::string_view name : kLogModules) {
        spdlog::drop(std::string(name));
        auto logger = std::make_shared<spdlog::logger>(std::string(name), sink);
        logger->set_level(level_for(name, settings.level, settings.modules));
        // Warnings and errors reach the terminal at once even if the process dies right after.
        logger->flush_on(spdlog::level::warn);
        spdlog::register_logger(logger);
        if (name == "app") spdlog::set_default_logger(logger);
    }
}

void setup_logging(spdlog::level::level_enum level) { setup_logging(LogSettings{level, LogFormat::text, {}}); }

void set_log_levels(spdlog::level::level_enum level, const ModuleLevels& modules) {
    for (std::string_view name : kLogModules)
        if (auto logger = spdlog::get(std::string(name))) logger->set_level(level_for(name, level, modules));
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
