#include "reports/compare.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "harness/errors.hpp"
#include "reports/compare_environment.hpp"
#include "reports/compare_format.hpp"
#include "reports/compare_histograms.hpp"
#include "reports/compare_tolerances.hpp"
#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------- reading reports

// One of the two reports, with the role that names it in errors.
struct Side {
    const json& report;
    std::string role;
};

struct Pair {
    Side base;
    Side candidate;
};

// The number at `path`, or null where the report has none (a group it did not run, no
// bottleneck on a short run): such a row becomes "n/a".
json number_at(const json& report, const Path& path) {
    const json* value = find_path(report, path);
    return value != nullptr && value->is_number() ? *value : json(nullptr);
}

json text_at(const json& report, const Path& path) {
    const json* value = find_path(report, path);
    return value != nullptr && value->is_string() ? *value : json(nullptr);
}

std::vector<std::string> report_problems(const Side& side) {
    if (!side.report.is_object()) return {side.role + " report: not a JSON object"};
    if (member(side.report, key::kind) == value::capacity) {
        return {side.role +
                " report: a capacity search (capacity.json); compare takes run "
                "reports: give a step's report.json (steps/<n>-.../report.json)"};
    }
    if (member(side.report, key::verdict) == value::error) {
        return {side.role + " report: the run ended in an error (" +
                string_or(member_path(side.report, {key::error, key::message})) +
                "); it measured nothing to compare"};
    }
    std::vector<std::string> problems;
    for (const char* field :
         {key::schema_version, key::run_id, key::workload, key::summary, key::histograms}) {
        if (!side.report.contains(field)) {
            problems.push_back(side.role + " report: " + field +
                               " missing (not a streamharness report)");
        }
    }
    return problems;
}

std::string workload_name(const json& report) {
    auto name = text_at(report, {key::workload, key::name});
    return name.is_null() ? "unnamed" : name.get<std::string>();
}

void collect_differences(const json& base, const json& candidate, const std::string& path,
                         json& paths) {
    auto child = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
    if (base.is_object() && candidate.is_object()) {
        for (const auto& [key, value] : base.items()) {
            if (candidate.contains(key)) {
                collect_differences(value, candidate.at(key), child(key), paths);
            } else {
                paths.push_back(child(key));
            }
        }
        for (const auto& item : candidate.items()) {
            if (!base.contains(item.key())) paths.push_back(child(item.key()));
        }
    } else if (base.is_array() && candidate.is_array()) {
        for (std::size_t i = 0; i < std::max(base.size(), candidate.size()); ++i) {
            if (i < base.size() && i < candidate.size()) {
                collect_differences(base[i], candidate[i], child(std::to_string(i)), paths);
            } else {
                paths.push_back(child(std::to_string(i)));
            }
        }
    } else if (base != candidate) {
        paths.push_back(path);
    }
}

// Dotted paths, as --set takes them, where the effective workloads differ.
json workload_differences(const Pair& pair) {
    json paths = json::array();
    collect_differences(pair.base.report.at(key::workload), pair.candidate.report.at(key::workload),
                        "", paths);
    return paths;
}

// Groups in workload order, then any only a report's results name; each once.
std::vector<std::string> group_names(const Pair& pair) {
    std::vector<std::string> names;
    auto add = [&](const std::string& name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    };
    for (const Side* side : {&pair.base, &pair.candidate}) {
        if (const json* groups = find_path(side->report, {key::workload, key::groups});
            groups != nullptr && groups->is_array()) {
            for (const auto& group : *groups) {
                auto name = text_at(group, {key::name});
                if (!name.is_null()) add(name.get<std::string>());
            }
        }
        for (const Path& path :
             {Path{key::summary, key::groups}, Path{key::histograms, key::groups}}) {
            const json* results = find_path(side->report, path);
            if (results == nullptr || !results->is_object()) continue;
            for (const auto& item : results->items()) add(item.key());
        }
    }
    return names;
}

struct HistogramPair {
    HistogramPtr base;
    HistogramPtr candidate;
};

HistogramPair histograms_of(const Pair& pair, const std::vector<Path>& paths) {
    return {merged_histogram(pair.base.report, paths, pair.base.role),
            merged_histogram(pair.candidate.report, paths, pair.candidate.role)};
}

json percentile_ms(const HistogramPtr& histogram, double percent) {
    if (!histogram) return nullptr;
    return static_cast<double>(histogram->percentile(percent)) / 1000.0;
}

// ---------------------------------------------------------------------------- rows

enum class Better { higher, lower };

// How a row is judged: the allowed worsening as a fraction of the base (nullopt: informational)
// and the absolute change at or below which nothing counts (the latency noise floor).
struct Judgement {
    Better better = Better::lower;
    std::optional<double> tolerance;
    double floor = 0;
};

// Shown for context, never gated.
const Judgement informational;

std::string status_of(const json& base, const json& candidate, const Judgement& judgement) {
    if (!base.is_number() || !candidate.is_number()) return "n/a";
    if (!judgement.tolerance) return "info";
    auto from = base.get<double>();
    auto to = candidate.get<double>();
    double worsening = judgement.better == Better::lower ? to - from : from - to;
    // From a zero base any change is infinitely large in relative terms: the floor decides.
    auto significant = [&](double delta) {
        return delta > judgement.floor && (from == 0 || delta / from > *judgement.tolerance);
    };
    if (significant(worsening)) return "regressed";
    if (significant(-worsening)) return "improved";
    return "ok";
}

json relative_change(const json& base, const json& candidate) {
    if (!base.is_number() || !candidate.is_number()) return nullptr;
    auto from = base.get<double>();
    auto to = candidate.get<double>();
    if (from == 0) return to == 0 ? json(0.0) : json(nullptr);
    return (to - from) / from;
}

// Signed like the change it bounds: -0.05 for a 5 % drop, +0.10 for a 10 % rise.
json signed_limit(const Judgement& judgement) {
    if (!judgement.tolerance) return nullptr;
    return judgement.better == Better::higher ? -*judgement.tolerance : *judgement.tolerance;
}

json row(const std::string& metric, const json& group, json base, json candidate, json change,
         json limit, const std::string& status) {
    return {{"metric", metric},
            {"group", group},
            {"base", std::move(base)},
            {"candidate", std::move(candidate)},
            {"change", std::move(change)},
            {"limit", std::move(limit)},
            {"status", status}};
}

json judged_row(const std::string& metric, const json& group, const json& base,
                const json& candidate, const Judgement& judgement) {
    return row(metric, group, base, candidate, relative_change(base, candidate),
               signed_limit(judgement), status_of(base, candidate, judgement));
}

json number_row(const Pair& pair, const std::string& metric, const json& group, const Path& path,
                const Judgement& judgement) {
    return judged_row(metric, group, number_at(pair.base.report, path),
                      number_at(pair.candidate.report, path), judgement);
}

json percentile_row(const std::string& metric, const json& group, const HistogramPair& histograms,
                    double percent, const Judgement& judgement) {
    return judged_row(metric, group, percentile_ms(histograms.base, percent),
                      percentile_ms(histograms.candidate, percent), judgement);
}

// Correctness is the reports' own gates' business: only pass → fail regresses.
json verdict_row(const Pair& pair) {
    auto base = text_at(pair.base.report, {key::verdict});
    auto candidate = text_at(pair.candidate.report, {key::verdict});
    std::string status = base.is_null() || candidate.is_null()             ? "n/a"
                         : base == value::pass && candidate != value::pass ? "regressed"
                         : base != value::pass && candidate == value::pass ? "improved"
                                                                           : "ok";
    return row(key::verdict, nullptr, base, candidate, nullptr, nullptr, status);
}

// Only when a report ran chaos; gated only when both did (a row missing a side is n/a).
void append_recovery_rows(json& rows, const Pair& pair, const CompareTolerances& tolerances) {
    Path recovery{key::chaos, key::summary, key::recovery_ms};
    if (find_path(pair.base.report, recovery) == nullptr &&
        find_path(pair.candidate.report, recovery) == nullptr) {
        return;
    }
    Judgement judgement{Better::lower, tolerances.max_recovery_rise,
                        tolerances.min_latency_delta_ms};
    for (const char* statistic : {key::p50, key::max}) {
        auto path = recovery;
        path.push_back(statistic);
        rows.push_back(number_row(pair, std::string("recovery_") + statistic + "_ms", nullptr, path,
                                  judgement));
    }
}

void append_run_rows(json& rows, const Pair& pair, const CompareTolerances& tolerances) {
    rows.push_back(verdict_row(pair));
    rows.push_back(number_row(pair, key::produced_per_s, nullptr,
                              {key::summary, key::produced, key::ok_per_s},
                              {Better::higher, tolerances.max_throughput_drop}));
    rows.push_back(percentile_row("xadd_p99_ms", nullptr,
                                  histograms_of(pair, {{key::histograms, key::xadd}}), 99,
                                  informational));
    rows.push_back(number_row(pair, key::redis_cpu_busy, nullptr,
                              {key::summary, key::bottleneck, key::redis_cpu_busy},
                              {Better::lower, tolerances.max_redis_cpu_rise}));
    append_recovery_rows(rows, pair, tolerances);
}

struct EndToEndPercentile {
    const char* metric;
    double percent;
    ToleranceField tolerance;  // nullptr: informational
};

constexpr std::array<EndToEndPercentile, 5> end_to_end_percentiles{{
    {key::p50_ms, 50, &CompareTolerances::max_p50_rise},
    {key::p90_ms, 90, nullptr},
    {key::p99_ms, 99, &CompareTolerances::max_p99_rise},
    {key::p99_9_ms, 99.9, nullptr},
    {key::max_ms, 100, nullptr},
}};

void append_group_rows(json& rows, const Pair& pair, const std::string& group,
                       const CompareTolerances& tolerances) {
    rows.push_back(number_row(pair, key::applied_per_s, group,
                              {key::summary, key::groups, group, key::applied_per_s},
                              {Better::higher, tolerances.max_throughput_drop}));
    auto end_to_end = histograms_of(pair, end_to_end_paths(group));
    for (const auto& [metric, percent, tolerance] : end_to_end_percentiles) {
        Judgement judgement{Better::lower, tolerance ? tolerances.*tolerance : std::nullopt,
                            tolerances.min_latency_delta_ms};
        rows.push_back(percentile_row(metric, group, end_to_end, percent, judgement));
    }
    rows.push_back(percentile_row("recovered_p99_ms", group,
                                  histograms_of(pair, {recovered_path(group)}), 99, informational));
    for (const char* count : {key::lost, key::duplicated}) {
        rows.push_back(
            number_row(pair, count, group, {key::verification, group, count}, informational));
    }
}

json identity(const json& report) {
    json side = {{"run_id", report.at(key::run_id)},
                 {"verdict", text_at(report, {key::verdict})},
                 {"workload", workload_name(report)}};
    if (auto runs = number_at(report, {key::repeat, key::count}); !runs.is_null())
        side["runs"] = runs;
    return side;
}

}  // namespace

json compare_reports(const json& base, const json& candidate, const CompareTolerances& tolerances) {
    require_shallow(base, "base report");
    require_shallow(candidate, "candidate report");
    Pair pair{{base, "base"}, {candidate, "candidate"}};
    auto problems = report_problems(pair.base);
    auto candidate_problems = report_problems(pair.candidate);
    problems.insert(problems.end(), candidate_problems.begin(), candidate_problems.end());
    if (!problems.empty()) throw input_error(problems);
    auto base_name = workload_name(base);
    auto candidate_name = workload_name(candidate);
    if (base_name != candidate_name && !tolerances.allow_different_workloads) {
        throw input_error({"different workloads (" + base_name + " vs " + candidate_name +
                           "); pass --allow-different-workloads"});
    }

    auto environment = check_environment(base, candidate);
    json rows = json::array();
    append_run_rows(rows, pair, tolerances);
    for (const auto& group : group_names(pair)) append_group_rows(rows, pair, group, tolerances);
    json regressions = json::array();
    for (const auto& row : rows) {
        if (row.at("status") == "regressed") regressions.push_back(regression_message(row));
    }
    return {{"base", identity(base)},
            {"candidate", identity(candidate)},
            {"tolerances", tolerances_json(tolerances)},
            {"rows", std::move(rows)},
            {"regressed", !regressions.empty()},
            {"regressions", std::move(regressions)},
            {"workload_differences", workload_differences(pair)},
            {"environment", std::move(environment.differences)},
            {"warnings", std::move(environment.warnings)}};
}

}  // namespace sh::reports
