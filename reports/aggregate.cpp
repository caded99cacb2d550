#include "reports/aggregate.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "harness/measure/histogram.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

std::unique_ptr<measure::Histogram> merged_histogram(const std::vector<json>& reports,
                                                     const json::json_pointer& where) {
    auto merged = std::make_unique<measure::Histogram>();
    for (const auto& report : reports) {
        if (report.contains(where)) merged->merge_json(report.at(where));
    }
    return merged;
}

double mean_of(const std::vector<json>& reports, const json::json_pointer& where) {
    double sum = 0;
    int count = 0;
    for (const auto& report : reports) {
        if (!report.contains(where) || !report.at(where).is_number()) continue;
        sum += report.at(where).get<double>();
        ++count;
    }
    return count > 0 ? sum / count : 0.0;
}

// Numbers add up, flags must hold in every run, samples and maps are kept from the first run
// that has them (they illustrate, they do not count).
json sum_fields(const json& total, const json& more) {
    if (total.is_null()) return more;
    json result = total;
    for (const auto& [key, value] : more.items()) {
        if (!result.contains(key)) {
            result[key] = value;
        } else if (value.is_number_unsigned() && result[key].is_number_unsigned()) {
            result[key] = result[key].get<std::uint64_t>() + value.get<std::uint64_t>();
        } else if (value.is_number() && result[key].is_number()) {
            result[key] = result[key].get<double>() + value.get<double>();
        } else if (value.is_boolean()) {
            result[key] = result[key].get<bool>() && value.get<bool>();
        } else if (value.is_object() && key == "points") {
            result[key] = sum_fields(result[key], value);
        }
    }
    return result;
}

// One gate per (gate, group), at the run where it came out worst.
json worst_gates(const std::vector<json>& reports) {
    json gates = json::array();
    for (const auto& report : reports) {
        for (const auto& gate : report["gates"]) {
            auto same = std::find_if(gates.begin(), gates.end(), [&](const json& kept) {
                return kept["gate"] == gate["gate"] &&
                       kept.value("group", "") == gate.value("group", "");
            });
            if (same == gates.end()) {
                gates.push_back(gate);
            } else if ((*same)["passed"].get<bool>() && !gate["passed"].get<bool>()) {
                *same = gate;
            } else if ((*same)["passed"] == gate["passed"]) {
                // Among equals keep the farthest from the limit in the failing direction.
                bool lower_is_worse = gate["gate"].get<std::string>().starts_with("min_") ||
                                      gate["gate"] == "drained" ||
                                      gate["gate"] == "points_consistent";
                double kept = (*same)["actual"].get<double>();
                double actual = gate["actual"].get<double>();
                if (lower_is_worse ? actual < kept : actual > kept) *same = gate;
            }
        }
    }
    return gates;
}

json recovery_summary(const std::vector<json>& reports) {
    std::vector<double> recovery_ms;
    json faults = json::object();
    std::uint64_t kills_with_pending = 0;
    bool any_chaos = false;
    for (const auto& report : reports) {
        const auto& summary = report["chaos"].value("summary", json());
        if (summary.is_null()) continue;
        any_chaos = true;
        for (const auto& [kind, count] : summary["faults"].items()) {
            faults[kind] = faults.value(kind, 0) + count.get<int>();
        }
        kills_with_pending += summary.value("kills_with_pending", std::uint64_t{0});
        for (const auto& event : report["events"]) {
            if (event.contains("recovery_ms")) recovery_ms.push_back(event["recovery_ms"]);
        }
    }
    if (!any_chaos) return json::object();
    std::sort(recovery_ms.begin(), recovery_ms.end());
    auto at = [&](double percent) {
        if (recovery_ms.empty()) return 0.0;
        auto rank = static_cast<std::size_t>(
            percent / 100 * static_cast<double>(recovery_ms.size() - 1) + 0.5);
        return recovery_ms[rank];
    };
    return {{"summary",
             {{"faults", faults},
              {"kills_with_pending", kills_with_pending},
              {"recovered", recovery_ms.size()},
              {"recovery_ms", {{"p50", at(50)}, {"max", at(100)}}}}}};
}

// The headline numbers of one run, and which run was best and worst for each.
json run_line(const json& report, const std::string& path) {
    json line = {
        {"run_id", report["run_id"]},
        {"report", path},
        {"verdict", report["verdict"]},
        {"ok_per_s", report["summary"]["produced"]["ok_per_s"]},
        {"redis_cpu_busy", report["summary"]["bottleneck"].value("redis_cpu_busy", json())},
        {"groups", json::object()}};
    for (const auto& [group, summary] : report["summary"]["groups"].items()) {
        line["groups"][group] = {{"applied_per_s", summary["applied_per_s"]},
                                 {"p50_ms", summary["latency"]["end_to_end"]["p50_ms"]},
                                 {"p99_ms", summary["latency"]["end_to_end"]["p99_ms"]}};
    }
    return line;
}

json best_and_worst(const json& runs, const json::json_pointer& metric, bool higher_is_better) {
    const json* best = nullptr;
    const json* worst = nullptr;
    for (const auto& run : runs) {
        if (!run.contains(metric) || !run.at(metric).is_number()) continue;
        double value = run.at(metric).get<double>();
        auto better = [&](const json* than) {
            return higher_is_better ? value > than->at(metric).get<double>()
                                    : value < than->at(metric).get<double>();
        };
        if (best == nullptr || better(best)) best = &run;
        if (worst == nullptr || !better(worst)) worst = &run;
    }
    if (best == nullptr) return nullptr;
    return {{"best", best->at(metric)},
            {"best_run", (*best)["run_id"]},
            {"worst", worst->at(metric)},
            {"worst_run", (*worst)["run_id"]}};
}

}  // namespace

json aggregate_reports(const std::vector<json>& reports, const std::vector<std::string>& paths,
                       const std::string& aggregate_id) {
    if (reports.empty()) throw std::invalid_argument("aggregate_reports: no reports");
    const auto& first = reports.front();
    json runs = json::array();
    for (std::size_t i = 0; i < reports.size(); ++i)
        runs.push_back(run_line(reports[i], paths.at(i)));

    json groups = json::object();
    json verification = json::object();
    json histograms = {{"groups", json::object()}};
    auto xadd = merged_histogram(reports, "/histograms/xadd"_json_pointer);
    histograms["xadd"] = xadd->to_json();
    json extremes = {{"ok_per_s", best_and_worst(runs, "/ok_per_s"_json_pointer, true)},
                     {"groups", json::object()}};
    for (const auto& [group, ignored] : first["summary"]["groups"].items()) {
        auto base = "/histograms/groups/" + group;
        auto first_delivery =
            merged_histogram(reports, json::json_pointer(base + "/first_delivery"));
        auto recovered = merged_histogram(reports, json::json_pointer(base + "/recovered"));
        histograms["groups"][group] = {{"first_delivery", first_delivery->to_json()},
                                       {"recovered", recovered->to_json()}};
        auto all = std::make_unique<measure::Histogram>();
        all->merge(*first_delivery);
        all->merge(*recovered);
        json verdict;
        for (const auto& report : reports)
            verdict = sum_fields(verdict, report["verification"][group]);
        verification[group] = verdict;
        groups[group] = {
            {"applied", verdict.value("applied", std::uint64_t{0})},
            {"applied_per_s",
             mean_of(reports, json::json_pointer("/summary/groups/" + group + "/applied_per_s"))},
            {"latency",
             {{"end_to_end", all->summary_ms()},
              {"first_delivery", first_delivery->summary_ms()},
              {"recovered", recovered->summary_ms()}}}};
        auto per_group = "/groups/" + group;
        extremes["groups"][group] = {
            {"applied_per_s",
             best_and_worst(runs, json::json_pointer(per_group + "/applied_per_s"), true)},
            {"p50_ms", best_and_worst(runs, json::json_pointer(per_group + "/p50_ms"), false)},
            {"p99_ms", best_and_worst(runs, json::json_pointer(per_group + "/p99_ms"), false)}};
    }

    json produced = nullptr;
    for (const auto& report : reports)
        produced = sum_fields(produced, report["summary"]["produced"]);
    produced["ok_per_s"] = mean_of(reports, "/summary/produced/ok_per_s"_json_pointer);
    produced["producing_s"] = mean_of(reports, "/summary/produced/producing_s"_json_pointer);
    json bottleneck = {
        {"redis_cpu_busy", mean_of(reports, "/summary/bottleneck/redis_cpu_busy"_json_pointer)},
        {"harness_cpu_cores",
         mean_of(reports, "/summary/bottleneck/harness_cpu_cores"_json_pointer)},
        {"saturated", "per run, see repeat.runs"}};
    bool passed = std::all_of(reports.begin(), reports.end(),
                              [](const json& report) { return report["verdict"] == "pass"; });
    return {
        {"schema_version", first["schema_version"]},
        {"tool", first["tool"]},
        {"kind", "aggregate"},
        {"run_id", aggregate_id},
        {"started_at", first["started_at"]},
        {"workload", first["workload"]},
        {"environment", first["environment"]},
        {"summary",
         {{"produced", produced},
          {"xadd_latency", xadd->summary_ms()},
          {"bottleneck", bottleneck},
          {"groups", groups}}},
        {"verification", verification},
        {"gates", worst_gates(reports)},
        {"timeline", json::array()},
        {"events", json::array()},
        {"chaos", recovery_summary(reports)},
        {"histograms", histograms},
        {"repeat", {{"count", reports.size()}, {"runs", runs}, {"extremes", extremes}}},
        {"verdict", passed ? "pass" : "fail"},
    };
}

}  // namespace sh::reports
