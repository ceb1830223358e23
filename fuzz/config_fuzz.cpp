// Fuzzes config parsing: app::parse_config over TOML text (what `load_config` reads from the
// file), including the zone's static records and every section's checks. Bad input must come
// back as an error value naming the problem, never as a crash or an escaped exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = acmezone::app::parse_config(text, "fuzz.toml");
    if (!config) FUZZ_CHECK(!config.error().message.empty());
    return 0;
}
