// app/config_print: a Config's effective settings as TOML: every section, defaults filled in,
// names and static records in normalised form. `acmezone config check` prints it; the SIGHUP
// reload compares two of them key by key. Secrets (TSIG secrets, admin token digests) are
// "<redacted>" unless the caller compares configs. A new config option must be added here too
// (tests/integration/config_test.py checks every key of the shipped config/ files is printed).
#pragma once

#include <map>
#include <string>

#include <toml++/toml.h>

#include "app/config.hpp"

namespace acmezone::app {

inline constexpr std::string_view kRedacted = "<redacted>";

enum class Secrets { redact, keep };

toml::table effective_settings(const Config& config, Secrets secrets = Secrets::redact);

// The table as TOML text, sections in a fixed order.
std::string to_toml_text(const toml::table& table);

// Every leaf as "section.key" -> its TOML text; an array of tables gives "section.key[i].field".
std::map<std::string, std::string> flatten_settings(const toml::table& table);

// "trace", "debug", "info", "warn", "error" (the config's spelling).
std::string_view log_level_text(spdlog::level::level_enum level) noexcept;

}  // namespace acmezone::app
