// The run report page: verdict, gates, the charts, verification, chaos events, summaries and
// the environment, drawn from the data of a report.json so `streamharness report REPORT.json`
// can re-render it at any time. The charts are built in run_charts.cpp, the page's building
// blocks are in html_page.hpp, and the capacity page is in capacity_html.cpp.
#include "reports/html_report.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "harness/errors.hpp"
#include "reports/html_page.hpp"
#include "reports/report_json.hpp"
#include "reports/report_keys.hpp"
#include "reports/run_charts.hpp"
#include "reports/run_summary.hpp"
#include "reports/svg_chart.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

using namespace html;

// ---------------------------------------------------------------------------------------------
// Run report: the header, gates and tables

void require_run_report(const json& report) {
    if (!report.is_object() || !report.contains(key::run_id) || !report.contains(key::summary)) {
        throw WorkloadError({"report: not a streamharness run report (no run_id or summary)"});
    }
    require_shallow(report, "report");
}

// Groups in workload order, then any other group the report mentions.
std::vector<std::string> group_names(const json& report) {
    std::vector<std::string> names;
    auto add = [&](const std::string& name) {
        if (!contains(names, name)) names.push_back(name);
    };
    const auto& workload_groups = member_path(report, {key::workload, key::groups});
    if (workload_groups.is_array()) {
        for (const auto& group : workload_groups) {
            if (member(group, key::name).is_string())
                add(member(group, key::name).get<std::string>());
        }
    }
    for (const auto* source :
         {&member(report, key::verification), &member_path(report, {key::summary, key::groups}),
          &member_path(report, {key::histograms, key::groups})}) {
        if (!source->is_object()) continue;
        for (const auto& [name, value] : source->items()) add(name);
    }
    return names;
}

std::string verdict_html(const json& report) {
    auto verdict = text_of(member(report, key::verdict), "unknown");
    bool known = verdict == value::pass || verdict == value::fail;
    std::string text = verdict == value::pass ? "PASS" : verdict == value::fail ? "FAIL" : verdict;
    std::string html =
        element("div", {{"class", "verdict " + (known ? verdict : "unknown")}}, escape_html(text)) +
        "\n";
    if (const auto& error = member(report, key::error); error.is_object()) {
        html += element("p", {},
                        element("b", {}, "The run could not finish") + " (during " +
                            cell_html(member(error, key::phase)) +
                            "): " + cell_html(member(error, key::message))) +
                "\n";
    }
    return html;
}

std::string facts_html(const json& report) {
    const auto& produced = member_path(report, {key::summary, key::produced});
    auto count = [&](std::string_view key) { return cell_html(member(produced, key)); };
    std::vector<std::pair<std::string, std::string>> facts{
        {"run", cell_html(member(report, key::run_id))},
        {"workload", cell_html(member_path(report, {key::workload, key::name}))},
        {"started", cell_html(member(report, key::started_at))},
        {"tool", cell_html(member_path(report, {key::tool, key::version}))},
        {"produced", count(key::ok) + " ok, " + count(key::failed) + " failed, " +
                         count(key::indeterminate) + " indeterminate (" + count(key::ok_per_s) +
                         " orders/s)"}};
    if (member(report, key::kind).is_string())
        facts.push_back({"kind", cell_html(report[key::kind])});
    std::string html;
    for (const auto& [name, value] : facts)
        html += element("div", {}, element("b", {}, name) + " " + value);
    return element("div", {{"class", "facts"}}, html) + "\n";
}

// Per group, as the verdict's neighbour: what a reader compares between runs first.
std::string groups_headline(const json& report, const std::vector<std::string>& groups) {
    std::vector<Row> rows;
    for (const auto& group : groups) {
        const auto& summary = member_path(report, {key::summary, key::groups, group});
        if (!summary.is_object()) continue;
        const auto& latency = member_path(summary, {key::latency, key::end_to_end});
        rows.push_back(
            {{escape_html(group), cell_html(member(summary, key::applied_per_s)),
              cell_html(member(latency, key::p50_ms)), cell_html(member(latency, key::p99_ms))},
             ""});
    }
    if (rows.empty()) return "";
    return element("div", {{"class", "headline"}},
                   table_html({"group", "applied/s", "p50 (ms)", "p99 (ms)"}, rows));
}

// drained and points_consistent hold or not: their actual is 1 or 0 against a limit of 1.
bool is_yes_no_gate(const json& gate) {
    return contains(std::initializer_list<std::string_view>{key::drained, key::points_consistent},
                    text_of(member(gate, key::gate)));
}

std::string gates_table(const json& gates) {
    if (!gates.is_array() || gates.empty()) return note("No gates in this report.");
    std::vector<Row> rows;
    for (const auto& gate : gates) {
        bool passed = member(gate, key::passed) == true;
        // A gate applies to a group, to one line of the chaos schedule (min_faults_landed), or
        // to the run.
        auto scope = cell_html(member(gate, key::group));
        if (member(gate, key::group).is_null() && member(gate, key::fault).is_string()) {
            scope = cell_html(gate[key::fault]) + " (chaos event " +
                    cell_html(member(gate, key::event)) + ")";
        }
        auto actual = cell_html(member(gate, key::actual));
        auto limit = cell_html(member(gate, key::limit));
        if (is_yes_no_gate(gate)) {
            actual = number_of(member(gate, key::actual)).value_or(0) > 0 ? "yes" : "no";
            limit = "must be yes";
        }
        auto result = element("span", {{"class", passed ? "result pass" : "result fail"}},
                              passed ? "PASS" : "FAIL");
        rows.push_back({{cell_html(member(gate, key::gate)), scope, result, actual, limit},
                        passed ? "" : "fail"});
    }
    return table_html({"gate", "applies to", "result", "actual", "limit"}, rows);
}

std::string overview_section(const json& report, const std::vector<std::string>& groups) {
    return element("h1", {}, "streamharness run report") + "\n" + verdict_html(report) +
           groups_headline(report, groups) + facts_html(report) +
           section("gates", "Gates", gates_table(member(report, key::gates)));
}

bool is_bad_count(std::string_view key, const json& value) {
    static constexpr std::string_view must_be_zero[] = {
        key::lost,           key::duplicated,
        key::unexpected,     key::pending_left,
        key::lag_left,       key::poison_not_dead_lettered,
        key::poison_applied, key::duplicated_without_hard_kill,
        key::stuck};
    auto number = number_of(value);
    return number && *number > 0 && contains(must_be_zero, key);
}

// One row per check, one column per group: checks differ little between groups.
std::string verification_section(const json& verification, const std::vector<std::string>& groups) {
    std::vector<std::string> columns;
    std::vector<std::string> keys;
    for (const auto& group : groups) {
        const auto& verdict = member(verification, group);
        if (!verdict.is_object()) continue;
        columns.push_back(group);
        for (const auto& [key, value] : verdict.items()) {
            if (key != key::group && !contains(keys, key)) keys.push_back(key);
        }
    }
    if (columns.empty()) return section("verification", "Verification", note("No verification."));
    std::vector<Row> rows;
    for (const auto& key : keys) {
        Row row{{escape_html(key)}, ""};
        for (const auto& group : columns) {
            const auto& value = member(member(verification, group), key);
            row.cells.push_back(is_bad_count(key, value)
                                    ? element("span", {{"class", "bad"}}, cell_html(value))
                                    : cell_html(value));
        }
        rows.push_back(std::move(row));
    }
    columns.insert(columns.begin(), "check");
    return section("verification", "Verification", table_html(columns, rows));
}

std::string events_table(const json& events) {
    static constexpr std::string_view columns[] = {key::at_s,    key::kind,      key::target,
                                                   key::pending, key::in_flight, key::recovery_ms,
                                                   key::detail};
    std::vector<Row> rows;
    for (const auto& event : events) {
        Row row{{}, event.contains(key::skipped) ? "skipped" : ""};
        json other = json::object();
        for (auto column : columns) row.cells.push_back(cell_html(member(event, column)));
        for (const auto& [key, value] : event.items()) {
            if (!contains(columns, key)) other[key] = value;
        }
        row.cells.push_back(other.empty() ? "" : cell_html(other));
        rows.push_back(std::move(row));
    }
    std::vector<std::string> headers(std::begin(columns), std::end(columns));
    headers.push_back("other data");
    return table_html(headers, rows);
}

std::string chaos_section(const json& report) {
    std::string html;
    const auto& summary = member_path(report, {key::chaos, key::summary});
    if (summary.is_object()) html += heading("Summary") + key_value_table(summary);
    const auto& events = member(report, key::events);
    html += events.is_array() && !events.empty() ? heading("Events") + events_table(events)
                                                 : note("No fault events in this run.");
    return section("chaos", "Chaos timeline", html);
}

std::string latency_summary_table(const json& report, const std::vector<std::string>& groups) {
    std::vector<json> summaries;  // each with "latency": its label
    for (const auto& group : groups) {
        const auto& latency = member_path(report, {key::summary, key::groups, group, key::latency});
        for (const auto* kind : {key::end_to_end, key::first_delivery, key::recovered}) {
            if (!member(latency, kind).is_object()) continue;
            summaries.push_back(latency[kind]);
            summaries.back()[key::latency] = group + " " + kind;
        }
    }
    const auto& xadd = member_path(report, {key::summary, key::xadd_latency});
    if (xadd.is_object()) {
        summaries.push_back(xadd);
        summaries.back()[key::latency] = "producers xadd";
    }
    if (summaries.empty()) return note("No latency summaries in this report.");
    std::vector<const json*> rows;
    for (const auto& summary : summaries) rows.push_back(&summary);
    return objects_table(rows, {key::latency, key::count, key::mean_ms, key::p50_ms, key::p90_ms,
                                key::p99_ms, key::p99_9_ms, key::max_ms});
}

std::string summary_section(const json& report, const std::vector<std::string>& groups) {
    const auto& summary = member(report, key::summary);
    std::string html;
    for (auto [key, title] :
         {std::pair{key::bottleneck, "Bottleneck"}, std::pair{key::memory, "Harness memory"},
          std::pair{key::max_rate, "Max rate"}, std::pair{key::drain, "Drain"},
          std::pair{key::retention, "Retention"}}) {
        const auto& part = member(summary, key);
        if (part.is_object() && !part.empty()) html += heading(title) + key_value_table(part);
    }
    html += heading("Latency summaries") + latency_summary_table(report, groups);
    return section("summary", "Summary", html);
}

// An aggregate of --repeat runs: each run's headline numbers and the extremes.
std::string repeat_section(const json& repeat) {
    if (!repeat.is_object()) return "";
    std::string html;
    const auto& runs = member(repeat, key::runs);
    if (runs.is_array()) {
        std::vector<const json*> rows;
        for (const auto& run : runs) rows.push_back(&run);
        html += heading("Runs") + objects_table(rows, {key::run_id, key::verdict, key::ok_per_s});
    }
    const auto& extremes = member(repeat, key::extremes);
    if (!extremes.is_null()) html += heading("Best and worst run") + cell_html(extremes);
    return section("repeat", "Repeated runs", html);
}

std::string environment_section(const json& report) {
    return section("environment", "Environment", cell_html(member(report, key::environment))) +
           section("workload", "Effective workload", cell_html(member(report, key::workload)));
}

std::string charts_sections(const RunCharts& charts) {
    return section("throughput", "Throughput", render_chart(charts.throughput)) +
           section("latency", "Latency",
                   render_chart(charts.percentiles) + render_chart(charts.latency_per_second)) +
           section("backlog", "Backlog", render_chart(charts.backlog)) +
           section("cpu", "CPU and memory",
                   render_chart(charts.cpu) + render_chart(charts.memory)) +
           section("redis", "Redis memory and stream length",
                   render_chart(charts.redis_memory) + render_chart(charts.stream_length));
}

bool is_aggregate(const json& report) {
    return member(report, key::kind) == value::aggregate;
}

// Each run's report.html, beside its report.json. --repeat writes the aggregate in the directory
// holding the runs' directories: when they all share one, the link is relative to it.
std::vector<std::pair<std::string, std::string>> run_pages(const json& runs) {
    std::vector<std::pair<std::string, std::string>> pages;  // run id, link
    std::vector<std::filesystem::path> run_dirs;
    for (const auto& run : runs) {
        if (!member(run, key::report).is_string()) continue;
        run_dirs.push_back(
            std::filesystem::path(run[key::report].get<std::string>()).parent_path());
        pages.push_back({text_of(member(run, key::run_id), "run"), ""});
    }
    bool shared_parent =
        std::all_of(run_dirs.begin(), run_dirs.end(), [&](const std::filesystem::path& dir) {
            return !dir.empty() && dir.parent_path() == run_dirs.front().parent_path();
        });
    for (std::size_t i = 0; i < pages.size(); ++i) {
        auto page = run_dirs[i] / "report.html";
        pages[i].second = shared_parent
                              ? page.lexically_relative(run_dirs[i].parent_path()).string()
                              : page.string();
    }
    return pages;
}

// An aggregate has no timeline of its own (its runs' seconds do not line up): rather than four
// empty charts, the way to each run's, and the latency curves of the merged histograms.
std::string aggregate_charts_sections(const json& report, const RunCharts& charts) {
    std::string links;
    for (const auto& [run_id, link] : run_pages(member_path(report, {key::repeat, key::runs}))) {
        links += element("li", {}, element("a", {{"href", link}}, escape_html(run_id)));
    }
    auto text = note(
        "This report aggregates repeated runs: the per-second charts (throughput, "
        "latency per second, backlog, CPU) are in each run's own report.");
    return section("per-second", "Per-second charts",
                   text + (links.empty() ? "" : element("ul", {}, links))) +
           section("latency", "Latency", render_chart(charts.percentiles));
}

// Everything below the charts, the same for a run and an aggregate.
std::string tables_sections(const json& report, const std::vector<std::string>& groups) {
    return verification_section(member(report, key::verification), groups) + chaos_section(report) +
           summary_section(report, groups) + repeat_section(member(report, key::repeat)) +
           environment_section(report);
}

enum class Shown { always, run, aggregate };

// The page's sections in order: an aggregate has its runs' links instead of per-second charts.
constexpr std::tuple<const char*, const char*, Shown> page_sections[] = {
    {"gates", "Gates", Shown::always},
    {"throughput", "Throughput", Shown::run},
    {"per-second", "Per-second charts", Shown::aggregate},
    {"latency", "Latency", Shown::always},
    {"backlog", "Backlog", Shown::run},
    {"cpu", "CPU and memory", Shown::run},
    {"redis", "Redis", Shown::run},
    {"verification", "Verification", Shown::always},
    {"chaos", "Chaos", Shown::always},
    {"summary", "Summary", Shown::always},
    {"repeat", "Repeated runs", Shown::aggregate},
    {"environment", "Environment", Shown::always},
    {"workload", "Workload", Shown::always}};

// Like navigation(), which takes a fixed list, for the sections this page has.
std::string page_navigation(bool aggregate) {
    std::string html;
    for (const auto& [id, label, shown] : page_sections) {
        if (shown == Shown::always || shown == (aggregate ? Shown::aggregate : Shown::run))
            html += element("a", {{"href", std::string("#") + id}}, label);
    }
    return element("nav", {}, html) + "\n";
}

std::string page_body(const json& report, const std::vector<std::string>& groups) {
    bool aggregate = is_aggregate(report);
    auto charts = run_charts(report, groups);
    auto drawn = aggregate
                     ? charts_data({&charts.percentiles})
                     : charts_data({&charts.throughput, &charts.percentiles,
                                    &charts.latency_per_second, &charts.backlog, &charts.cpu,
                                    &charts.memory, &charts.redis_memory, &charts.stream_length});
    return page_navigation(aggregate) + overview_section(report, groups) +
           (aggregate ? aggregate_charts_sections(report, charts) : charts_sections(charts)) +
           tables_sections(report, groups) + report_data_script(drawn);
}

}  // namespace

std::string render_html(const json& report) {
    require_run_report(report);
    auto groups = group_names(report);
    auto body = page_body(report, groups);
    return page("streamharness " + text_of(member(report, key::run_id)) + ": " +
                    text_of(member(report, key::verdict), "no verdict"),
                body);
}

std::filesystem::path write_text_file(const std::string& text, const std::filesystem::path& dir,
                                      const std::string& name) {
    auto path = dir / name;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw EnvironmentError("cannot write " + path.string() + ": " + error.message());
    std::ofstream file(path, std::ios::binary);
    file << text;
    file.close();
    if (!file) throw EnvironmentError("cannot write " + path.string());
    return path;
}

}  // namespace sh::reports
