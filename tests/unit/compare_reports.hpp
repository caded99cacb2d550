// Reports built in memory for the comparison tests (compare_test.cpp, compare_outputs_test.cpp):
// what build_report writes, reduced to what the comparison reads.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "harness/measure/histogram.hpp"

namespace sh::testing {

using nlohmann::json;

inline json histogram_of(std::uint64_t value_us, int count) {
    auto histogram = std::make_unique<measure::Histogram>();
    for (int i = 0; i < count; ++i) histogram->record(value_us);
    return histogram->to_json();
}

inline json group_histograms(std::uint64_t first_delivery_us) {
    return {{"first_delivery", histogram_of(first_delivery_us, 100)},
            {"recovered", histogram_of(0, 0)}};
}

// A report as build_report writes it, reduced to what the comparison reads: two groups whose
// every delivery took `latency_us`.
inline json report(const std::string& run_id, std::uint64_t latency_us = 520) {
    json group_results = {{"applied_per_s", 1000.0}};
    json verdict = {{"lost", 0}, {"duplicated", 0}};
    return {
        {"schema_version", 1},
        {"run_id", run_id},
        {"verdict", "pass"},
        {"workload",
         {{"name", "smoke"},
          {"duration_s", 3},
          {"groups",
           {{{"name", "score"}, {"service_time", {{"mean_us", 0}}}},
            {{"name", "push"}, {"service_time", {{"mean_us", 0}}}}}}}},
        {"summary",
         {{"produced", {{"ok_per_s", 1000.0}}},
          {"bottleneck", {{"steady_rows", 5}, {"redis_cpu_busy", 0.2}}},
          {"groups", {{"score", group_results}, {"push", group_results}}}}},
        {"verification", {{"score", verdict}, {"push", verdict}}},
        {"histograms",
         {{"xadd", histogram_of(150, 100)},
          {"groups",
           {{"score", group_histograms(latency_us)}, {"push", group_histograms(latency_us)}}}}},
        {"chaos", json::object()},
    };
}

inline void set_latency(json& report, const std::string& group, std::uint64_t latency_us) {
    report["histograms"]["groups"][group] = group_histograms(latency_us);
}

inline const json& row_of(const json& comparison, const std::string& metric, const json& group) {
    for (const auto& row : comparison["rows"]) {
        if (row["metric"] == metric && row["group"] == group) return row;
    }
    throw std::runtime_error("no row " + metric + " " + group.dump());
}

inline bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace sh::testing
