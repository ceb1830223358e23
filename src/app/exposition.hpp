// app/exposition: the Prometheus text exposition format, version 0.0.4. A builder that writes
// one metric family at a time: "# HELP" and "# TYPE" first, then its samples
// `name{label="value",...} value`, histograms as cumulative `_bucket{le="..."}` series ending
// at le="+Inf", then `_sum` and `_count`. HELP text and label values are escaped as the format
// requires (\\, \n, and \" in label values). Metric and label names are program constants:
// an invalid one is a bug and throws std::invalid_argument. Not thread-safe (one per scrape).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/histogram.hpp"

namespace acmezone::app {

enum class MetricType { counter, gauge, histogram };

// Label name -> value, in the order they are written.
using Labels = std::vector<std::pair<std::string_view, std::string>>;

class Exposition {
public:
    // Starts a family: writes its HELP and TYPE lines. A family name must not repeat.
    void family(std::string_view name, MetricType type, std::string_view help);

    // One sample of the current counter or gauge family.
    void sample(const Labels& labels, std::uint64_t value);
    void sample(const Labels& labels, double value);
    // One labelled histogram of the current histogram family.
    void histogram(const Labels& labels, const core::HistogramSnapshot& h);

    const std::string& text() const noexcept { return out_; }
    std::string take() && { return std::move(out_); }

private:
    void write_labels(const Labels& labels, std::string_view extra_name = {}, std::string_view extra_value = {});
    void begin_sample(std::string_view suffix, const Labels& labels, std::string_view le = {});
    void require(bool histogram) const;

    std::string out_;
    std::string name_;
    MetricType type_ = MetricType::gauge;
    std::vector<std::string> seen_;
};

// The value as the format writes it: integers exactly, "+Inf", "-Inf", "NaN", otherwise the
// shortest decimal that reads back as the same double.
std::string format_value(double value);
// `text` escaped for a label value (\\, \", \n) or for HELP (\\, \n).
std::string escape_label_value(std::string_view text);
std::string escape_help(std::string_view text);
// [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]* (names starting "__" are reserved).
bool is_valid_metric_name(std::string_view name) noexcept;
bool is_valid_label_name(std::string_view name) noexcept;

}  // namespace acmezone::app
