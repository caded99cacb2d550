// The words and numbers of a comparison: see compare_format.hpp.
#include "reports/compare_format.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace sh::reports {

using nlohmann::json;

std::string unit_of(const std::string& metric) {
    if (metric.ends_with("_ms")) return " ms";
    if (metric.ends_with("_per_s")) return " /s";
    return "";
}

std::string format_value(const json& value, const std::string& metric) {
    if (value.is_null()) return "missing";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_integer()) return value.dump();
    if (!value.is_number()) return value.dump();
    std::ostringstream text;
    text << std::fixed << std::setprecision(metric.ends_with("_per_s") ? 1 : 2)
         << value.get<double>();
    return text.str();
}

// A decimal only where it says something.
std::string format_fraction(const json& fraction) {
    if (fraction.is_null()) return "-";
    double percent = fraction.get<double>() * 100;
    if (std::lround(percent * 10) == 0) return "0 %";
    bool one_decimal = std::abs(percent) < 10 && std::lround(percent * 10) % 10 != 0;
    std::ostringstream text;
    text << (percent > 0 ? "+" : "") << std::fixed << std::setprecision(one_decimal ? 1 : 0)
         << percent << " %";
    return text.str();
}

std::string row_label(const json& row) {
    auto label = row.at("metric").get<std::string>();
    const auto& group = row.at("group");
    return group.is_string() ? label + " [" + group.get<std::string>() + "]" : label;
}

std::string regression_message(const json& row) {
    auto metric = row.at("metric").get<std::string>();
    auto text = row_label(row) + ": " + format_value(row.at("base"), metric) + " → " +
                format_value(row.at("candidate"), metric) + unit_of(metric);
    if (row.at("limit").is_null()) return text;  // the verdict: no tolerance to quote
    auto change = row.at("change").is_null() ? "" : format_fraction(row.at("change")) + ", ";
    return text + " (" + change + "limit " + format_fraction(row.at("limit")) + ")";
}

std::string side_summary(const json& side) {
    auto text = format_value(side.at("run_id"), "") + " (" + format_value(side.at("workload"), "") +
                ", verdict " + format_value(side.at("verdict"), "");
    if (side.contains("runs")) {
        text += ", aggregate of " + format_value(side.at("runs"), "") + " runs";
    }
    return text + ")";
}

const ComparisonCells& comparison_headers() {
    static const ComparisonCells headers{"metric", "group", "base",  "new",
                                         "change", "limit", "status"};
    return headers;
}

ComparisonCells comparison_cells(const json& row) {
    auto metric = row.at("metric").get<std::string>();
    const auto& group = row.at("group");
    return {metric,
            group.is_string() ? group.get<std::string>() : "-",
            format_value(row.at("base"), metric),
            format_value(row.at("candidate"), metric),
            format_fraction(row.at("change")),
            format_fraction(row.at("limit")),
            row.at("status").get<std::string>()};
}

}  // namespace sh::reports
