// The charts of the run report: what it plots from the per-second timeline (throughput,
// latency per second, backlog, CPU, harness memory, Redis memory, stream length, with fault events
// (instant ones as markers, lasting ones as shaded spans) and the drain phase marked on the time
// axis) and the latency-by-percentile curves from the serialised histograms.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/svg_chart.hpp"

namespace sh::reports::html {

struct RunCharts {
    Chart throughput;
    Chart percentiles;
    Chart latency_per_second;
    Chart backlog;
    Chart cpu;
    Chart memory;
    Chart redis_memory;
    Chart stream_length;
};

// The run report's charts for `groups` (in the order their series are drawn).
RunCharts run_charts(const nlohmann::json& report, const std::vector<std::string>& groups);

}  // namespace sh::reports::html
