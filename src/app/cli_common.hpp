// app/cli_common: what every command does first: load and validate the config, reporting
// problems as "config error: ..." on stderr.
#pragma once

#include <optional>
#include <string>

#include "app/config.hpp"

namespace acmezone::app {

// nullopt after printing "config error: <message>" to stderr.
std::optional<Config> load_config_or_report(const std::string& path);

}  // namespace acmezone::app
