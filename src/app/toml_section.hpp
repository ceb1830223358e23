// app/toml_section: typed, checked reads from one TOML table, with every error naming the full
// key ("zone.soa.ttl", "dns.listen[1]"). A Section knows its allowed keys, so a typo is an error
// ("unknown key dns.lisen") instead of a silently ignored setting. Used only while loading config.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "core/result.hpp"

namespace acmezone::app {

class Section {
public:
    // `table` may be null (the section is absent: every read yields "not given").
    Section(const toml::table* table, std::string prefix, std::initializer_list<std::string_view> allowed);

    // The first key not in the allowed list, as an error; Ok when there is none.
    core::Status check_unknown_keys() const;

    std::string key_path(std::string_view key) const;
    bool has(std::string_view key) const;

    // Each read leaves `out` untouched when the key is absent (so defaults stay), fails when it
    // is present with the wrong type or out of [min, max], and fails when `required` and absent.
    core::Status read_uint(std::string_view key, std::int64_t min, std::int64_t max, std::uint32_t& out) const;
    core::Status read_string(std::string_view key, std::string& out, bool required = false) const;
    core::Status read_bool(std::string_view key, bool& out) const;
    // An array of strings; `what` names the element ("names", "addresses") in errors.
    core::Status read_string_array(std::string_view key, std::string_view what, std::vector<std::string>& out,
                                   bool required = false) const;
    // A nested table (absent -> a Section over nothing).
    core::Result<Section> sub_section(std::string_view key, std::initializer_list<std::string_view> allowed) const;
    // An array of tables ([[key]]), each element a Section named "key[i]" (absent -> none).
    core::Result<std::vector<Section>> table_array(std::string_view key, std::initializer_list<std::string_view> allowed) const;

private:
    const toml::node* get(std::string_view key) const;

    const toml::table* table_;
    std::string prefix_;
    std::vector<std::string_view> allowed_;
};

// "a string", "an integer", ... for error messages.
std::string_view describe_type(const toml::node& node);

}  // namespace acmezone::app
