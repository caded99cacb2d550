// The comparison page: see compare_html.hpp.
#include "reports/compare_html.hpp"

#include <array>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "reports/compare_format.hpp"
#include "reports/compare_histograms.hpp"
#include "reports/html_page.hpp"
#include "reports/report_keys.hpp"
#include "reports/svg_chart.hpp"

namespace sh::reports {

using nlohmann::json;
using namespace html;

namespace {

// Blue and orange: told apart also by most colour-blind readers.
constexpr const char* base_colour = "#1f77b4";
constexpr const char* candidate_colour = "#ff7f0e";

// A report as the charts draw it: its legend name and colour.
struct Side {
    const json& report;
    std::string name;
    const char* colour;
};

using Sides = std::array<Side, 2>;  // base, then new

// Percentiles a curve is drawn at, up to 99.99 (the axis' last nine). A point is drawn only
// where the histogram has a sample above it, so a short run's curve ends at what it measured.
constexpr std::array<double, 22> curve_percents{0,    10,   20,    30,    40,    50,   60,   70,
                                                80,   90,   95,    97,    98,    99,   99.5, 99.7,
                                                99.8, 99.9, 99.95, 99.97, 99.98, 99.99};

Series latency_curve(const Side& side, const std::string& group, std::vector<std::string>& notes) {
    Series series{side.name, {}, side.colour};
    auto histogram = merged_histogram(side.report, end_to_end_paths(group), side.name);
    if (!histogram || histogram->count() == 0) {
        notes.push_back(side.name + ": no deliveries recorded for " + group);
        return series;
    }
    auto count = static_cast<double>(histogram->count());
    for (double percent : curve_percents) {
        if (count * (100 - percent) / 100 < 1) break;
        series.points.push_back({percent, histogram->percentile(percent) / 1000.0});
    }
    return series;
}

Chart percentile_chart(const Sides& sides, const std::string& group, std::size_t index) {
    auto chart =
        make_chart("latency-" + std::to_string(index), group + ": end-to-end latency by percentile",
                   "percentile", "latency (ms, log scale)", Scale::hdr_percentile, Scale::log);
    for (const auto& side : sides) chart.series.push_back(latency_curve(side, group, chart.notes));
    return chart;
}

// A row of a sliver of a second (the drain's last, cut short when the backlog emptied) is left
// out: a rate over a millisecond says nothing and would draw a fall to zero at the end.
constexpr double min_row_span_s = 0.5;

// The field of the group per timeline row (aggregates have none: their runs' seconds differ). A
// second without deliveries has no latency: a gap, not 0 ms.
Series timeline_series(const Side& side, const std::string& group, const char* field) {
    Series series{side.name, {}, side.colour};
    for (const auto& row : member(side.report, key::timeline)) {
        auto t_s = number_of(member(row, key::t_s));
        if (!t_s || number_of(member(row, key::span_s)).value_or(1) < min_row_span_s) continue;
        const auto& values = member_path(row, {key::groups, group});
        bool measured = std::string_view(field) == key::applied_per_s ||
                        number_of(member(values, key::applied)) != 0;
        series.points.push_back({*t_s, measured ? number_of(member(values, field)) : std::nullopt});
    }
    return series;
}

Chart per_second_chart(const Sides& sides, const std::string& group, const char* field,
                       std::pair<std::string, std::string> id_and_title, std::string y_label,
                       Scale y_scale) {
    auto chart = make_chart(std::move(id_and_title.first), group + ": " + id_and_title.second,
                            "time since start (s)", std::move(y_label), Scale::linear, y_scale);
    for (const auto& side : sides) {
        chart.series.push_back(timeline_series(side, group, field));
        // The axis ends with the longer run, as report.html's ends with its run.
        const auto& timeline = member(side.report, key::timeline);
        if (!timeline.is_array() || timeline.empty()) continue;
        if (auto last = number_of(member(timeline.back(), key::t_s))) {
            chart.x_end = std::max(chart.x_end.value_or(0), *last);
        }
    }
    for (const auto& series : chart.series) {
        if (series.points.empty()) chart.notes.push_back(series.name + ": no timeline rows");
    }
    return chart;
}

std::string group_section(const Sides& sides, const std::string& group, std::size_t index) {
    auto suffix = "-" + std::to_string(index);
    auto body = render_chart(percentile_chart(sides, group, index)) +
                render_chart(per_second_chart(sides, group, key::applied_per_s,
                                              {"throughput" + suffix, "applied per second"},
                                              "orders/s", Scale::linear)) +
                render_chart(per_second_chart(sides, group, key::p99_ms,
                                              {"p99" + suffix, "p99 latency per second"},
                                              "latency (ms, log scale)", Scale::log));
    return section("group" + suffix, "Group " + group, body);
}

// Groups in the order of the comparison's rows.
std::vector<std::string> groups_of(const json& comparison) {
    std::vector<std::string> groups;
    for (const auto& row : comparison.at("rows")) {
        const auto& group = row.at("group");
        if (group.is_string() && !contains(groups, group.get<std::string>()))
            groups.push_back(group.get<std::string>());
    }
    return groups;
}

std::string table_section(const json& comparison) {
    const auto& headers = comparison_headers();
    std::vector<Row> rows;
    for (const auto& row : comparison.at("rows")) {
        Row line;
        for (const auto& cell : comparison_cells(row)) line.cells.push_back(escape_html(cell));
        if (row.at("status") == "regressed") line.css_class = "fail";
        if (row.at("status") == "improved") line.css_class = "improved";
        rows.push_back(std::move(line));
    }
    std::string body = table_html(std::vector<std::string>(headers.begin(), headers.end()), rows);
    for (const auto& regression : comparison.at("regressions")) {
        body += element("p", {},
                        element("span", {{"class", "bad"}}, "REGRESSED") + " " +
                            escape_html(regression.get<std::string>()));
    }
    // The numbers right-aligned, improvements green: what the shared page style lacks.
    auto style = element("style", {},
                         "#comparison td:nth-child(n+3):nth-child(-n+6) { text-align: right; }"
                         " tr.improved td { background: #dcfce7; }");
    return section("comparison", "Comparison", style + body);
}

std::string header_html(const json& comparison) {
    bool regressed = comparison.at("regressed").get<bool>();
    std::string html =
        element("h1", {}, "streamharness comparison") + "\n" +
        element("div", {{"class", std::string("verdict ") + (regressed ? "fail" : "pass")}},
                regressed ? "REGRESSED" : "NO REGRESSION") +
        "\n";
    std::string facts;
    for (const auto& [label, side, colour] : {std::tuple{"base", "base", base_colour},
                                              std::tuple{"new", "candidate", candidate_colour}}) {
        const auto& identity = comparison.at(side);
        auto text = side_summary(identity);
        if (identity.contains("path")) text += " " + format_value(identity.at("path"), "");
        facts += element(
            "div", {},
            element("b", {{"style", std::string("color: ") + colour}}, label) + escape_html(text));
    }
    html += element("div", {{"class", "facts"}}, facts) + "\n";
    const auto& warnings = comparison.value("warnings", json::array());
    std::string items;
    for (const auto& warning : warnings)
        items += element("li", {},
                         element("span", {{"class", "bad"}}, "warning") + " " +
                             escape_html(warning.get<std::string>()));
    html += warnings.empty() ? note("Same environment: host, Redis and build type match.")
                             : element("ul", {{"class", "warnings"}}, items) + "\n";
    const auto& differences = comparison.value("workload_differences", json::array());
    if (!differences.empty()) {
        std::string paths;
        for (const auto& path : differences) {
            paths += (paths.empty() ? "" : ", ") + path.get<std::string>();
        }
        html += note("Workload differs at: " + paths);
    }
    return html;
}

}  // namespace

std::string render_comparison_html(const json& comparison, const json& base,
                                   const json& candidate) {
    Sides sides{{{base, "base", base_colour}, {candidate, "new", candidate_colour}}};
    auto body = header_html(comparison) + table_section(comparison);
    auto groups = groups_of(comparison);
    for (std::size_t g = 0; g < groups.size(); ++g) body += group_section(sides, groups[g], g);
    body += report_data_script(comparison);
    return page("streamharness comparison", body);
}

}  // namespace sh::reports
