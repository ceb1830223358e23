#include "app/exposition.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace acmezone::app {

namespace {

bool is_name_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) noexcept { return is_name_start(c) || (c >= '0' && c <= '9'); }

const char* type_text(MetricType type) noexcept {
    switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
    }
    return "untyped";
}

}  // namespace

bool is_valid_metric_name(std::string_view name) noexcept {
    if (name.empty() || !(is_name_start(name.front()) || name.front() == ':')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return is_name_char(c) || c == ':'; });
}

bool is_valid_label_name(std::string_view name) noexcept {
    if (name.empty() || !is_name_start(name.front()) || name.starts_with("__")) return false;
    return std::all_of(name.begin(), name.end(), is_name_char);
}

std::string escape_label_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Whole numbers within 2^53 as integers ("3", not "3.0"); the rest shortest round-trip.
    if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0)
        return fmt::format("{}", static_cast<std::int64_t>(value));
    return fmt::format("{}", value);
}

void Exposition::family(std::string_view name, MetricType type, std::string_view help) {
    if (!is_valid_metric_name(name)) throw std::invalid_argument("metrics: invalid metric name \"" + std::string(name) + "\"");
    if (std::find(seen_.begin(), seen_.end(), name) != seen_.end())
        throw std::invalid_argument("metrics: family \"" + std::string(name) + "\" written twice");
    seen_.emplace_back(name);
    name_.assign(name);
    type_ = type;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += escape_help(help);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type_text(type);
    out_ += '\n';
}

void Exposition::require(bool histogram) const {
    if (name_.empty()) throw std::invalid_argument("metrics: a sample before any family");
    if (histogram != (type_ == MetricType::histogram))
        throw std::invalid_argument("metrics: sample of the wrong kind for family \"" + name_ + "\"");
}

void Exposition::write_labels(const Labels& labels, std::string_view extra_name, std::string_view extra_value) {
    if (labels.empty() && extra_name.empty()) return;
    out_ += '{';
    bool first = true;
    const auto one = [&](std::string_view name, std::string_view value) {
        if (!first) out_ += ',';
        first = false;
        out_ += name;
        out_ += "=\"";
        out_ += escape_label_value(value);
        out_ += '"';
    };
    for (const auto& [name, value] : labels) {
        // "le" is the bucket bound of a histogram and cannot be a label of one.
        if (!is_valid_label_name(name) || (name == "le" && type_ == MetricType::histogram))
            throw std::invalid_argument("metrics: invalid label name \"" + std::string(name) + "\" in " + name_);
        one(name, value);
    }
    if (!extra_name.empty()) one(extra_name, extra_value);
    out_ += '}';
}

void Exposition::begin_sample(std::string_view suffix, const Labels& labels, std::string_view le) {
    out_ += name_;
    out_ += suffix;
    if (le.empty()) write_labels(labels);
    else write_labels(labels, "le", le);
    out_ += ' ';
}

void Exposition::sample(const Labels& labels, std::uint64_t value) {
    require(false);
    begin_sample({}, labels);
    out_ += std::to_string(value);
    out_ += '\n';
}

void Exposition::sample(const Labels& labels, double value) {
    require(false);
    begin_sample({}, labels);
    out_ += format_value(value);
    out_ += '\n';
}

void Exposition::histogram(const Labels& labels, const core::HistogramSnapshot& h) {
    require(true);
    if (h.counts.size() != h.bounds.size() + 1) throw std::invalid_argument("metrics: histogram counts do not match its bounds");
    // Cumulative: each bucket counts every value <= its bound; +Inf holds them all (== _count).
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
        cumulative += h.counts[i];
        begin_sample("_bucket", labels, format_value(h.bounds[i]));
        out_ += std::to_string(cumulative);
        out_ += '\n';
    }
    cumulative += h.counts.back();
    begin_sample("_bucket", labels, "+Inf");
    out_ += std::to_string(cumulative);
    out_ += '\n';
    begin_sample("_sum", labels);
    out_ += format_value(h.sum);
    out_ += '\n';
    begin_sample("_count", labels);
    out_ += std::to_string(cumulative);
    out_ += '\n';
}

}  // namespace acmezone::app
