// The capacity report page: the sustainable rate, the search's facts, each step's worst p99 and
// max lag against the offered rate (with the SLO limit, the knee and the answer marked), and
// the steps table. Drawn from the document the capacity search writes.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "reports/html_page.hpp"
#include "reports/html_report.hpp"
#include "reports/report_keys.hpp"
#include "reports/svg_chart.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

using namespace html;

constexpr const char* pass_colour = "#2e7d32";
constexpr const char* fail_colour = "#c62828";

void require_capacity_report(const json& capacity) {
    if (!capacity.is_object() || (member(capacity, key::kind) != value::capacity &&
                                  !member(capacity, key::steps).is_array())) {
        throw WorkloadError(
            {"capacity: not a streamharness capacity result (no kind \"capacity\" or steps)"});
    }
    require_shallow(capacity, "capacity");
}

// What the search varied: the offered rate, or the consumers per group at a fixed rate.
struct Varied {
    std::string key;    // in each step and in "answer"
    std::string label;  // x axis
    std::string unit;
    std::string knee_low;  // knee bounds in "knee"
    std::string knee_high;
};

Varied varied_by(const json& capacity) {
    if (member(capacity, key::search) == key::consumers) {
        return {key::consumers, "consumers per group", key::consumers, key::last_failing_consumers,
                key::first_passing_consumers};
    }
    return {key::rate, "offered rate (orders/s)", "orders/s", key::last_passing_rate,
            key::first_failing_rate};
}

std::vector<const json*> steps_by(const json& capacity, const std::string& key) {
    std::vector<const json*> steps;
    const auto& all = member(capacity, key::steps);
    if (!all.is_array()) return steps;
    for (const auto& step : all) {
        if (number_of(member(step, key))) steps.push_back(&step);
    }
    std::stable_sort(steps.begin(), steps.end(), [&](const json* a, const json* b) {
        return (*a)[key].get<double>() < (*b)[key].get<double>();
    });
    return steps;
}

// A step measurement against rate: the curve, passing and failing steps as dots, the SLO
// limit, the knee and the answer.
Chart capacity_chart(const json& capacity, std::string id, std::string title, std::string y_label,
                     const std::string& field, const std::string& slo_field, Scale y_scale) {
    auto varied = varied_by(capacity);
    auto chart = make_chart(std::move(id), std::move(title), varied.label, std::move(y_label),
                            Scale::linear, y_scale);
    Series curve{field, {}, "#6b7280", Style::line};
    Series passed{"passed", {}, pass_colour, Style::points};
    Series failed{"failed", {}, fail_colour, Style::points};
    for (const auto* step : steps_by(capacity, varied.key)) {
        Point point{(*step)[varied.key].get<double>(), number_of(member(*step, field))};
        curve.points.push_back(point);
        (member(*step, key::passed) == true ? passed : failed).points.push_back(point);
    }
    if (curve.points.empty()) chart.notes.push_back("No steps measured.");
    chart.series = {std::move(curve), std::move(passed), std::move(failed)};
    if (auto limit = number_of(member_path(capacity, {key::slo, slo_field}))) {
        chart.guides.push_back({*limit, "SLO " + slo_field + " " + readable_number(*limit)});
    }
    const auto& knee = member(capacity, key::knee);
    auto low = number_of(member(knee, varied.knee_low));
    auto high = number_of(member(knee, varied.knee_high));
    if (low && high) chart.bands.push_back({*low, *high, key::knee});
    if (auto answer = number_of(member_path(capacity, {key::answer, varied.key}))) {
        chart.markers.push_back({*answer, key::answer,
                                 "answer: " + readable_number(*answer) + " " + varied.unit,
                                 pass_colour});
    }
    return chart;
}

bool any_value(const Chart& chart) {
    return std::any_of(chart.series.front().points.begin(), chart.series.front().points.end(),
                       [](const Point& point) { return point.y.has_value(); });
}

std::string answer_html(const json& capacity) {
    const auto& answer = member(capacity, key::answer);
    auto varied = varied_by(capacity);
    auto rate = number_of(member(answer, varied.key));
    bool at_ceiling = member(answer, key::at_ceiling) == true;
    const auto& stopped = member(capacity, key::stopped);
    std::string found =
        varied.key == key::consumers
            ? readable_number(rate.value_or(0)) + " consumers per group at " +
                  readable_number(number_of(member(capacity, key::rate)).value_or(0)) + " orders/s"
            : "Sustainable rate: " + std::string(at_ceiling ? "at least " : "") +
                  readable_number(rate.value_or(0)) + " orders/s";
    std::string text = rate                           ? found
                       : stopped.is_string()          ? "No answer: the search stopped"
                       : varied.key == key::consumers ? "No consumer count met the SLO"
                                                      : "No rate met the SLO";
    std::string html = element("div", {{"class", "answer-box"}}, escape_html(text)) + "\n";
    if (rate) {
        html += note(member(answer, key::confirmed) == true ? "confirmed by a repeat run"
                                                            : "not confirmed by a repeat run");
    }
    if (at_ceiling) html += note("the highest rate tried (--max-rate): no step failed");
    if (stopped.is_string()) html += note(stopped.get<std::string>());
    return html;
}

// A step's report.html, relative to capacity.html: the search writes each step's reports in
// steps/<n>-<label>/ beside capacity.html, so the link holds wherever the directory is moved.
// A step recorded elsewhere (or by hand) has no link.
std::string step_page(const json& step) {
    if (!member(step, key::report).is_string()) return "";
    auto dir = std::filesystem::path(step[key::report].get<std::string>()).parent_path();
    if (dir.filename().empty() || dir.parent_path().filename() != key::steps) return "";
    return (std::filesystem::path(key::steps) / dir.filename() / "report.html").generic_string();
}

std::string steps_table(const json& capacity) {
    const auto& steps = member(capacity, key::steps);
    if (!steps.is_array() || steps.empty()) return note("No steps measured.");
    auto key = varied_by(capacity).key;
    auto answer = number_of(member_path(capacity, {key::answer, key}));
    std::vector<std::string> columns{
        key,          key::passed, key::reason, key::achieved_per_s, key::worst_p99_ms,
        key::max_lag, key::lost};
    for (const auto& step : steps) {
        if (!step.is_object()) continue;
        for (const auto& [key, value] : step.items()) {
            if (!contains(columns, key)) columns.push_back(key);
        }
    }
    std::vector<Row> rows;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& step = steps[i];
        bool is_answer = answer && number_of(member(step, key)) == answer;
        Row row{{std::to_string(i + 1), is_answer ? "&#9733; answer" : ""},
                is_answer                            ? key::answer
                : member(step, key::passed) == false ? "step-failed"
                                                     : ""};
        auto page = step_page(step);
        for (const auto& column : columns) {
            row.cells.push_back(column == key::report && !page.empty()
                                    ? element("a", {{"href", page}}, "report.html")
                                    : cell_html(member(step, column)));
        }
        rows.push_back(std::move(row));
    }
    columns.insert(columns.begin(), {"#", ""});
    return table_html(columns, rows);
}

std::string capacity_facts(const json& capacity) {
    json facts = json::object();
    for (const auto* key : {key::search_id, key::search, key::rate, key::step_duration_s}) {
        if (capacity.contains(key)) facts[key] = capacity[key];
    }
    for (const auto* key : {key::slo, key::knee}) {
        for (const auto& [name, value] : member(capacity, key).items()) {
            facts[std::string(key) + "." + name] = value;
        }
    }
    return key_value_table(facts);
}

}  // namespace

std::string render_capacity_html(const json& capacity) {
    require_capacity_report(capacity);
    auto by = varied_by(capacity).key == key::consumers ? std::string(" by consumers per group")
                                                        : std::string(" by rate");
    auto p99 =
        capacity_chart(capacity, "capacity-p99", "Worst p99 latency" + by,
                       "worst p99 (ms, log scale)", key::worst_p99_ms, key::max_p99_ms, Scale::log);
    auto lag = capacity_chart(capacity, "capacity-lag", "Max lag" + by, "max lag (entries)",
                              key::max_lag, key::max_lag, Scale::linear);
    auto redis_cpu = capacity_chart(capacity, "capacity-redis-cpu", "Redis CPU" + by,
                                    "Redis CPU (busy fraction of its core)", key::redis_cpu_busy,
                                    "", Scale::linear);
    if (!redis_cpu.series.front().points.empty() && !any_value(redis_cpu)) {
        redis_cpu.notes.push_back(
            "No step has redis_cpu_busy: a search written before it was recorded, or steps too "
            "short to have a steady second.");
    }
    auto workload = text_of(member_path(capacity, {key::workload, key::name}), "unnamed");
    auto body = element("h1", {}, "streamharness capacity search: " + escape_html(workload)) +
                "\n" + answer_html(capacity) + capacity_facts(capacity) +
                section("charts", "Steps" + by,
                        render_chart(p99) + render_chart(lag) + render_chart(redis_cpu)) +
                section(key::steps, "Steps (in search order)", steps_table(capacity)) +
                section(key::workload, "Workload", cell_html(member(capacity, key::workload))) +
                report_data_script(charts_data({&p99, &lag, &redis_cpu}));
    return page("streamharness capacity: " + workload, body);
}

}  // namespace sh::reports
