# Precompiled headers. Most of our files include the same standard headers, and many include
# spdlog, nlohmann-json or GoogleTest; parsing those once per target instead of once per file
# shortens every clean build, and CI makes three (Release, ASan/UBSan, libFuzzer).
option(ACMEZONE_PCH "Precompile the common standard and third-party headers" ON)

set(ACMEZONE_PCH_STD
  <algorithm> <array> <atomic> <chrono> <cstddef> <cstdint> <cstring> <functional> <map>
  <memory> <mutex> <optional> <span> <string> <string_view> <thread> <utility> <vector>)

# GCC 12 loses the system-header exemption for middle-end warnings in headers that come from
# a precompiled header, and then reports libstdc++'s known false -Wstringop-overflow, -overread and
# -Warray-bounds in char_traits (GCC bugs 105329, 105651). ASan/UBSan check bounds at run time.
if(ACMEZONE_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-stringop-overflow -Wno-stringop-overread -Wno-array-bounds)
endif()

# acmezone_precompile(target [extra headers...]): the standard set plus the extras.
function(acmezone_precompile target)
  if(ACMEZONE_PCH)
    target_precompile_headers(${target} PRIVATE ${ACMEZONE_PCH_STD} ${ARGN})
  endif()
endfunction()
