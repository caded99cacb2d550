#include "reports/aggregate.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "harness/measure/histogram.hpp"
#include "harness/measure/percentile.hpp"
#include "reports/report_json.hpp"

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

// The mean over the runs that measured it; null when none did (a missing measurement is not 0).
json mean_of(const std::vector<json>& reports, const json::json_pointer& where) {
    double sum = 0;
    int count = 0;
    for (const auto& report : reports) {
        if (!report.contains(where) || !report.at(where).is_number()) continue;
        sum += report.at(where).get<double>();
        ++count;
    }
    if (count == 0) return nullptr;
    return sum / count;
}

json sum_fields(const json& total, const json& more);

// Integers stay integers (unsigned while both are; pending_left and lag_left are signed), only
// real floats add up as doubles.
json sum_values(const json& kept, const json& more) {
    if (kept.is_number_unsigned() && more.is_number_unsigned())
        return kept.get<std::uint64_t>() + more.get<std::uint64_t>();
    if (kept.is_number_integer() && more.is_number_integer())
        return kept.get<std::int64_t>() + more.get<std::int64_t>();
    if (kept.is_number() && more.is_number()) return kept.get<double>() + more.get<double>();
    if (kept.is_boolean() && more.is_boolean()) return kept.get<bool>() && more.get<bool>();
    if (kept.is_object() && more.is_object()) return sum_fields(kept, more);
    return kept;
}

// Counts add up, flags must hold in every run, and maps of counts (dead_letter_reasons,
// shares, points) add up key by key over the union of their keys. Arrays are samples
// (lost_sample, duplicated_sample, lost_by_restart): they illustrate rather than count, so
// each is kept from the first run where it is not empty.
json sum_fields(const json& total, const json& more) {
    if (total.is_null()) return more;
    json result = total;
    for (const auto& [key, value] : more.items()) {
        auto& kept = result[key];
        if (kept.is_null() || (kept.is_array() && kept.empty())) {
            kept = value;
        } else if (!kept.is_array()) {
            kept = sum_values(kept, value);
        }
    }
    return result;
}

// One gate per (gate, group, chaos event), at the run where it came out worst.
json worst_gates(const std::vector<json>& reports) {
    json gates = json::array();
    for (const auto& report : reports) {
        for (const auto& gate : report["gates"]) {
            auto same = std::find_if(gates.begin(), gates.end(), [&](const json& kept) {
                return kept["gate"] == gate["gate"] &&
                       kept.value("group", "") == gate.value("group", "") &&
                       kept.value("fault", "") == gate.value("fault", "") &&
                       kept.value("event", -1) == gate.value("event", -1);
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
    std::uint64_t unrecovered = 0;
    bool any_chaos = false;
    for (const auto& report : reports) {
        const auto& summary = report["chaos"].value("summary", json());
        if (summary.is_null()) continue;
        any_chaos = true;
        for (const auto& [kind, count] : summary["faults"].items()) {
            faults[kind] = faults.value(kind, 0) + count.get<int>();
        }
        kills_with_pending += summary.value("kills_with_pending", std::uint64_t{0});
        unrecovered += summary.value("unrecovered", std::uint64_t{0});
        for (const auto& event : report["events"]) {
            if (event.contains("recovery_ms")) recovery_ms.push_back(event["recovery_ms"]);
        }
    }
    if (!any_chaos) return json::object();
    return {{"summary",
             {{"faults", faults},
              {"kills_with_pending", kills_with_pending},
              {"recovered", recovery_ms.size()},
              {"unrecovered", unrecovered},
              {"recovery_ms",
               {{"p50", measure::percentile(recovery_ms, 50)},
                {"max", measure::percentile(recovery_ms, 100)}}}}}};
}

// Max-rate runs (producers.rate 0) report what they sustained; null when the runs had no
// max_rate. The mean over runs, so compare can gate on it like on ok_per_s.
json max_rate_summary(const std::vector<json>& reports) {
    auto sustained = mean_of(reports, "/summary/max_rate/sustained_orders_per_s"_json_pointer);
    if (sustained.is_null()) return nullptr;
    return {{"sustained_orders_per_s", sustained},
            {"final_rate", mean_of(reports, "/summary/max_rate/final_rate"_json_pointer)}};
}

// The headline numbers of one run, and which run was best and worst for each.
json run_line(const json& report, const std::string& path) {
    const auto& summary = report["summary"];
    json line = {{"run_id", report["run_id"]},
                 {"report", path},
                 {"verdict", report["verdict"]},
                 {"ok_per_s", summary["produced"]["ok_per_s"]},
                 {"redis_cpu_busy", summary["bottleneck"].value("redis_cpu_busy", json())},
                 {"groups", json::object()}};
    const auto& max_rate = summary.value("max_rate", json());
    if (max_rate.is_object())
        line["sustained_orders_per_s"] = max_rate.value("sustained_orders_per_s", json());
    for (const auto& [group, totals] : summary["groups"].items()) {
        line["groups"][group] = {{"applied_per_s", totals["applied_per_s"]},
                                 {"p50_ms", totals["latency"]["end_to_end"]["p50_ms"]},
                                 {"p99_ms", totals["latency"]["end_to_end"]["p99_ms"]}};
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

// What the aggregate says per group: its summary, verification, histograms and extremes.
struct GroupParts {
    json summary;
    json verification;
    json histograms;
    json extremes;
};

GroupParts aggregate_group(const std::vector<json>& reports, const json& runs,
                           const std::string& group) {
    auto base = "/histograms/groups/" + group;
    auto first_delivery = merged_histogram(reports, json::json_pointer(base + "/first_delivery"));
    auto recovered = merged_histogram(reports, json::json_pointer(base + "/recovered"));
    auto all = std::make_unique<measure::Histogram>();
    all->merge(*first_delivery);
    all->merge(*recovered);
    json verdict;
    for (const auto& report : reports) verdict = sum_fields(verdict, report["verification"][group]);
    auto per_group = "/groups/" + group;
    return {{{"applied", verdict.value("applied", std::uint64_t{0})},
             {"applied_per_s",
              mean_of(reports, json::json_pointer("/summary/groups/" + group + "/applied_per_s"))},
             {"latency",
              {{"end_to_end", latency_json(all->summary())},
               {"first_delivery", latency_json(first_delivery->summary())},
               {"recovered", latency_json(recovered->summary())}}}},
            verdict,
            {{"first_delivery", first_delivery->to_json()}, {"recovered", recovered->to_json()}},
            {{"applied_per_s",
              best_and_worst(runs, json::json_pointer(per_group + "/applied_per_s"), true)},
             {"p50_ms", best_and_worst(runs, json::json_pointer(per_group + "/p50_ms"), false)},
             {"p99_ms", best_and_worst(runs, json::json_pointer(per_group + "/p99_ms"), false)}}};
}

json produced_summary(const std::vector<json>& reports) {
    json produced = nullptr;
    for (const auto& report : reports)
        produced = sum_fields(produced, report["summary"]["produced"]);
    produced["ok_per_s"] = mean_of(reports, "/summary/produced/ok_per_s"_json_pointer);
    produced["producing_s"] = mean_of(reports, "/summary/produced/producing_s"_json_pointer);
    return produced;
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
    auto xadd = merged_histogram(reports, "/histograms/xadd"_json_pointer);
    json histograms = {{"xadd", xadd->to_json()}, {"groups", json::object()}};
    json extremes = {{"ok_per_s", best_and_worst(runs, "/ok_per_s"_json_pointer, true)},
                     {"sustained_orders_per_s",
                      best_and_worst(runs, "/sustained_orders_per_s"_json_pointer, true)},
                     {"groups", json::object()}};
    for (const auto& [group, ignored] : first["summary"]["groups"].items()) {
        auto parts = aggregate_group(reports, runs, group);
        groups[group] = std::move(parts.summary);
        verification[group] = std::move(parts.verification);
        histograms["groups"][group] = std::move(parts.histograms);
        extremes["groups"][group] = std::move(parts.extremes);
    }

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
         {{"produced", produced_summary(reports)},
          {"xadd_latency", latency_json(xadd->summary())},
          {"bottleneck", bottleneck},
          {"max_rate", max_rate_summary(reports)},
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
