#include "reports/aggregate.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "harness/measure/histogram.hpp"
#include "harness/measure/percentile.hpp"
#include "reports/report_json.hpp"
#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

std::unique_ptr<measure::Histogram> merged_histogram(const std::vector<json>& reports,
                                                     const Path& where) {
    auto merged = std::make_unique<measure::Histogram>();
    for (const auto& report : reports) {
        if (const auto* serialised = find_path(report, where)) merged->merge_json(*serialised);
    }
    return merged;
}

// The mean over the runs that measured it; null when none did (a missing measurement is not 0).
json mean_of(const std::vector<json>& reports, const Path& where) {
    double sum = 0;
    int count = 0;
    for (const auto& report : reports) {
        const auto* value = find_path(report, where);
        if (value == nullptr || !value->is_number()) continue;
        sum += value->get<double>();
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
        for (const auto& gate : report[key::gates]) {
            auto same = std::find_if(gates.begin(), gates.end(), [&](const json& kept) {
                return kept[key::gate] == gate[key::gate] &&
                       kept.value(key::group, "") == gate.value(key::group, "") &&
                       kept.value(key::fault, "") == gate.value(key::fault, "") &&
                       kept.value(key::event, -1) == gate.value(key::event, -1);
            });
            if (same == gates.end()) {
                gates.push_back(gate);
            } else if ((*same)[key::passed].get<bool>() && !gate[key::passed].get<bool>()) {
                *same = gate;
            } else if ((*same)[key::passed] == gate[key::passed]) {
                // Among equals keep the farthest from the limit in the failing direction.
                bool lower_is_worse = gate[key::gate].get<std::string>().starts_with("min_") ||
                                      gate[key::gate] == key::drained ||
                                      gate[key::gate] == "points_consistent";
                double kept = (*same)[key::actual].get<double>();
                double actual = gate[key::actual].get<double>();
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
        const auto& summary = report[key::chaos].value(key::summary, json());
        if (summary.is_null()) continue;
        any_chaos = true;
        for (const auto& [kind, count] : summary[key::faults].items()) {
            faults[kind] = faults.value(kind, 0) + count.get<int>();
        }
        kills_with_pending += summary.value(key::kills_with_pending, std::uint64_t{0});
        unrecovered += summary.value(key::unrecovered, std::uint64_t{0});
        for (const auto& event : report[key::events]) {
            if (event.contains(key::recovery_ms)) recovery_ms.push_back(event[key::recovery_ms]);
        }
    }
    if (!any_chaos) return json::object();
    return {{key::summary,
             {{key::faults, faults},
              {key::kills_with_pending, kills_with_pending},
              {key::recovered, recovery_ms.size()},
              {key::unrecovered, unrecovered},
              {key::recovery_ms,
               {{key::p50, measure::percentile(recovery_ms, 50)},
                {key::max, measure::percentile(recovery_ms, 100)}}}}}};
}

// Max-rate runs (producers.rate 0) report what they sustained; null when the runs had no
// max_rate. The mean over runs, so compare can gate on it like on ok_per_s.
json max_rate_summary(const std::vector<json>& reports) {
    auto sustained = mean_of(reports, {key::summary, key::max_rate, key::sustained_orders_per_s});
    if (sustained.is_null()) return nullptr;
    return {{key::sustained_orders_per_s, sustained},
            {key::final_rate, mean_of(reports, {key::summary, key::max_rate, key::final_rate})}};
}

// The headline numbers of one run, and which run was best and worst for each.
json run_line(const json& report, const std::string& path) {
    const auto& summary = report[key::summary];
    json line = {{key::run_id, report[key::run_id]},
                 {key::report, path},
                 {key::verdict, report[key::verdict]},
                 {key::ok_per_s, summary[key::produced][key::ok_per_s]},
                 {key::redis_cpu_busy, summary[key::bottleneck].value(key::redis_cpu_busy, json())},
                 {key::groups, json::object()}};
    const auto& max_rate = summary.value(key::max_rate, json());
    if (max_rate.is_object())
        line[key::sustained_orders_per_s] = max_rate.value(key::sustained_orders_per_s, json());
    for (const auto& [group, totals] : summary[key::groups].items()) {
        line[key::groups][group] = {
            {key::applied_per_s, totals[key::applied_per_s]},
            {key::p50_ms, member_path(totals, {key::latency, key::end_to_end, key::p50_ms})},
            {key::p99_ms, member_path(totals, {key::latency, key::end_to_end, key::p99_ms})}};
    }
    return line;
}

json best_and_worst(const json& runs, const Path& metric, bool higher_is_better) {
    const json* best = nullptr;
    const json* worst = nullptr;
    auto value_in = [&](const json& run) { return find_path(run, metric)->get<double>(); };
    for (const auto& run : runs) {
        const auto* found = find_path(run, metric);
        if (found == nullptr || !found->is_number()) continue;
        double value = found->get<double>();
        auto better = [&](const json* than) {
            return higher_is_better ? value > value_in(*than) : value < value_in(*than);
        };
        if (best == nullptr || better(best)) best = &run;
        if (worst == nullptr || !better(worst)) worst = &run;
    }
    if (best == nullptr) return nullptr;
    return {{key::best, value_in(*best)},
            {key::best_run, (*best)[key::run_id]},
            {key::worst, value_in(*worst)},
            {key::worst_run, (*worst)[key::run_id]}};
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
    json verdict;
    for (const auto& report : reports)
        verdict = sum_fields(verdict, report[key::verification][group]);
    json summary = {{key::consumer, member_path(reports.front(),
                                                {key::summary, key::groups, group, key::consumer})},
                    {key::applied, verdict.value(key::applied, std::uint64_t{0})},
                    {key::applied_per_s,
                     mean_of(reports, {key::summary, key::groups, group, key::applied_per_s})},
                    {key::latency, nullptr}};
    json histograms = nullptr;
    // An external consumer's group has no latency histograms: nothing to merge.
    bool measured = std::any_of(reports.begin(), reports.end(), [&](const json& report) {
        return find_path(report, {key::histograms, key::groups, group}) != nullptr;
    });
    if (measured) {
        auto first_delivery =
            merged_histogram(reports, {key::histograms, key::groups, group, key::first_delivery});
        auto recovered =
            merged_histogram(reports, {key::histograms, key::groups, group, key::recovered});
        auto all = std::make_unique<measure::Histogram>();
        all->merge(*first_delivery);
        all->merge(*recovered);
        summary[key::latency] = {{key::end_to_end, latency_json(all->summary())},
                                 {key::first_delivery, latency_json(first_delivery->summary())},
                                 {key::recovered, latency_json(recovered->summary())}};
        histograms = {{key::first_delivery, first_delivery->to_json()},
                      {key::recovered, recovered->to_json()}};
    }
    return {
        std::move(summary),
        verdict,
        std::move(histograms),
        {{key::applied_per_s, best_and_worst(runs, {key::groups, group, key::applied_per_s}, true)},
         {key::p50_ms, best_and_worst(runs, {key::groups, group, key::p50_ms}, false)},
         {key::p99_ms, best_and_worst(runs, {key::groups, group, key::p99_ms}, false)}}};
}

json produced_summary(const std::vector<json>& reports) {
    json produced = nullptr;
    for (const auto& report : reports)
        produced = sum_fields(produced, report[key::summary][key::produced]);
    produced[key::ok_per_s] = mean_of(reports, {key::summary, key::produced, key::ok_per_s});
    produced[key::producing_s] = mean_of(reports, {key::summary, key::produced, key::producing_s});
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
    auto xadd = merged_histogram(reports, {key::histograms, key::xadd});
    json histograms = {{key::xadd, xadd->to_json()}, {key::groups, json::object()}};
    json extremes = {
        {key::ok_per_s, best_and_worst(runs, {key::ok_per_s}, true)},
        {key::sustained_orders_per_s, best_and_worst(runs, {key::sustained_orders_per_s}, true)},
        {key::groups, json::object()}};
    for (const auto& [group, ignored] : first[key::summary][key::groups].items()) {
        auto parts = aggregate_group(reports, runs, group);
        groups[group] = std::move(parts.summary);
        verification[group] = std::move(parts.verification);
        if (!parts.histograms.is_null())
            histograms[key::groups][group] = std::move(parts.histograms);
        extremes[key::groups][group] = std::move(parts.extremes);
    }

    json bottleneck = {{key::redis_cpu_busy,
                        mean_of(reports, {key::summary, key::bottleneck, key::redis_cpu_busy})},
                       {key::harness_cpu_cores,
                        mean_of(reports, {key::summary, key::bottleneck, key::harness_cpu_cores})},
                       {key::saturated, "per run, see repeat.runs"}};
    bool passed = std::all_of(reports.begin(), reports.end(), [](const json& report) {
        return report[key::verdict] == value::pass;
    });
    json aggregate = {
        {key::schema_version, first[key::schema_version]},
        {key::tool, first[key::tool]},
        {key::kind, value::aggregate},
        {key::run_id, aggregate_id},
        {key::started_at, first[key::started_at]},
        {key::workload, first[key::workload]},
        {key::environment, first[key::environment]},
        {key::summary,
         {{key::produced, produced_summary(reports)},
          {key::xadd_latency, latency_json(xadd->summary())},
          {key::bottleneck, bottleneck},
          {key::max_rate, max_rate_summary(reports)},
          {key::groups, groups}}},
        {key::verification, verification},
        {key::gates, worst_gates(reports)},
        {key::timeline, json::array()},
        {key::events, json::array()},
        {key::chaos, recovery_summary(reports)},
        {key::histograms, histograms},
        {key::repeat, {{key::count, reports.size()}, {key::runs, runs}, {key::extremes, extremes}}},
        {key::verdict, passed ? value::pass : value::fail},
    };
    // The runs' Redis (one server for all): compare warns when base and new ran on different ones.
    if (const auto& redis = member_path(first, {key::provenance, key::redis}); redis.is_object())
        aggregate[key::provenance] = {{key::redis, redis}};
    return aggregate;
}

}  // namespace sh::reports
