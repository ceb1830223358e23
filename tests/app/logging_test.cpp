#include "app/logging.hpp"

#include <gtest/gtest.h>

namespace acmezone::app {
namespace {

TEST(Logging, RegistersOneLoggerPerModule) {
    setup_logging(spdlog::level::warn);
    for (const char* name : {"app", "store", "dns", "api"}) {
        auto logger = spdlog::get(name);
        ASSERT_NE(logger, nullptr) << name;
        EXPECT_EQ(logger->level(), spdlog::level::warn) << name;
    }
    EXPECT_EQ(spdlog::default_logger()->name(), "app");
    // Setting up again (e.g. the level from config) replaces the loggers instead of throwing.
    setup_logging(spdlog::level::debug);
    EXPECT_EQ(spdlog::get("dns")->level(), spdlog::level::debug);
    EXPECT_EQ(app_log(), spdlog::get("app"));
}

}  // namespace
}  // namespace acmezone::app
