// app/version: the release version, from CMake's PROJECT_VERSION (see src/app/CMakeLists.txt).
#pragma once

#include <string_view>

#ifndef ACMEZONE_VERSION
#error "ACMEZONE_VERSION must be defined by the build (target_compile_definitions)"
#endif

namespace acmezone::app {
inline constexpr std::string_view kVersion = ACMEZONE_VERSION;
}
