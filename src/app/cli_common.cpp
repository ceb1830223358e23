#include "app/cli_common.hpp"

#include <iostream>

namespace acmezone::app {

std::optional<Config> load_config_or_report(const std::string& path) {
    auto config = load_config(path);
    if (!config) {
        std::cerr << "config error: " << config.error().message << "\n";
        return std::nullopt;
    }
    return std::move(config.value());
}

}  // namespace acmezone::app
