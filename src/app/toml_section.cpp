#include "app/toml_section.hpp"

#include <algorithm>

namespace acmezone::app {

using core::Errc;
using core::make_error;

std::string_view describe_type(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

Section::Section(const toml::table* table, std::string prefix, std::initializer_list<std::string_view> allowed)
    : table_(table), prefix_(std::move(prefix)), allowed_(allowed) {}

std::string Section::key_path(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

const toml::node* Section::get(std::string_view key) const { return table_ ? table_->get(key) : nullptr; }

bool Section::has(std::string_view key) const { return get(key) != nullptr; }

core::Status Section::check_unknown_keys() const {
    if (!table_) return core::Ok{};
    for (const auto& [key, value] : *table_) {
        (void)value;
        if (std::find(allowed_.begin(), allowed_.end(), key.str()) == allowed_.end())
            return make_error(Errc::invalid_argument, "unknown key " + key_path(key.str()));
    }
    return core::Ok{};
}

core::Status Section::read_uint(std::string_view key, std::int64_t min, std::int64_t max, std::uint32_t& out) const {
    const toml::node* node = get(key);
    if (!node) return core::Ok{};
    const auto* integer = node->as_integer();
    if (!integer)
        return make_error(Errc::invalid_argument,
                          key_path(key) + ": expected an integer, got " + std::string(describe_type(*node)));
    const std::int64_t v = integer->get();
    if (v < min || v > max)
        return make_error(Errc::invalid_argument, key_path(key) + ": " + std::to_string(v) + " is out of range (" +
                                                      std::to_string(min) + ".." + std::to_string(max) + ")");
    out = static_cast<std::uint32_t>(v);
    return core::Ok{};
}

core::Status Section::read_string(std::string_view key, std::string& out, bool required) const {
    const toml::node* node = get(key);
    if (!node) {
        if (required) return make_error(Errc::invalid_argument, key_path(key) + ": missing (required)");
        return core::Ok{};
    }
    const auto* str = node->as_string();
    if (!str)
        return make_error(Errc::invalid_argument,
                          key_path(key) + ": expected a string, got " + std::string(describe_type(*node)));
    out = str->get();
    return core::Ok{};
}

core::Status Section::read_bool(std::string_view key, bool& out) const {
    const toml::node* node = get(key);
    if (!node) return core::Ok{};
    const auto* b = node->as_boolean();
    if (!b) return make_error(Errc::invalid_argument, key_path(key) + ": expected a boolean, got " + std::string(describe_type(*node)));
    out = b->get();
    return core::Ok{};
}

core::Status Section::read_string_array(std::string_view key, std::string_view what, std::vector<std::string>& out,
                                        bool required) const {
    const toml::node* node = get(key);
    if (!node) {
        if (required) return make_error(Errc::invalid_argument, key_path(key) + ": missing (required)");
        return core::Ok{};
    }
    const auto* array = node->as_array();
    const auto wrong = [&] {
        return make_error(Errc::invalid_argument, key_path(key) + ": expected an array of " + std::string(what));
    };
    if (!array) return wrong();
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto* str = (*array)[i].as_string();
        if (!str)
            return make_error(Errc::invalid_argument, key_path(key) + "[" + std::to_string(i) + "]: expected " +
                                                          "a string in an array of " + std::string(what) + ", got " +
                                                          std::string(describe_type((*array)[i])));
        values.push_back(str->get());
    }
    out = std::move(values);
    return core::Ok{};
}

core::Result<Section> Section::sub_section(std::string_view key, std::initializer_list<std::string_view> allowed) const {
    const toml::node* node = get(key);
    if (!node) return Section(nullptr, key_path(key), allowed);
    const auto* table = node->as_table();
    if (!table)
        return make_error(Errc::invalid_argument,
                          key_path(key) + ": expected a table, got " + std::string(describe_type(*node)));
    return Section(table, key_path(key), allowed);
}

core::Result<std::vector<Section>> Section::table_array(std::string_view key,
                                                       std::initializer_list<std::string_view> allowed) const {
    std::vector<Section> out;
    const toml::node* node = get(key);
    if (!node) return out;
    const auto* array = node->as_array();
    if (!array)
        return make_error(Errc::invalid_argument,
                          key_path(key) + ": expected an array of tables ([[" + key_path(key) + "]]), got " +
                              std::string(describe_type(*node)));
    for (std::size_t i = 0; i < array->size(); ++i) {
        const std::string name = key_path(key) + "[" + std::to_string(i) + "]";
        const auto* table = (*array)[i].as_table();
        if (!table)
            return make_error(Errc::invalid_argument, name + ": expected a table, got " + std::string(describe_type((*array)[i])));
        out.emplace_back(table, name, allowed);
    }
    return out;
}

}  // namespace acmezone::app
