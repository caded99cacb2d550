// What each streamharness subcommand does, between the parsed command line (main.cpp) and the
// modules that do the work. Each returns the process exit code; errors are thrown as
// WorkloadError (exit 2) or EnvironmentError (exit 3) for main to map.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/cli/capacity.hpp"
#include "harness/model/agent_share.hpp"
#include "harness/os/stop_signals.hpp"
#include "harness/redis/url.hpp"
#include "harness/run/live_metrics.hpp"
#include "reports/compare.hpp"

namespace sh::cli {

inline constexpr const char* tool_version = "0.1.0";

// What every command that runs workloads shares.
struct RunSettings {
    std::string workload_path;
    std::vector<std::string> overrides;
    std::vector<std::string> tag_options;  // --tag key=value, as typed (provenance)
    std::optional<redis::Endpoint> redis;  // none: an embedded redis-server
    std::string out_dir;                   // empty: reports/out/<id>
    std::string run_id;                    // empty: generated
    std::string executable;
    bool keep_keys = false;
    bool allow_eviction = false;
    bool quiet = false;
    // --agent I/N: one agent's share of a run several share (DESIGN §11.1).
    model::AgentShare agent;
    double agent_timeout_s = 120;
    // --metrics-listen ADDR:PORT, and what is served there (set by serve_live_metrics).
    std::string metrics_listen;
    run::LiveMetrics* live_metrics = nullptr;
};

// One run, or `repeat` runs in DIR/run-<i>/ with their aggregate in DIR: report.json,
// report.html and junit.xml in each. Exit 0 when every run passed, 1 otherwise. A run that
// cannot finish still writes its reports (verdict "error") before its error goes on. An agent
// writes its part (verdict "partial") and exits 0 once its share is done.
int run_command(const RunSettings& settings, int repeat, const os::StopSignals& stop);

// Re-renders report.html, junit.xml, summary.md and the exports next to a report.json
// (capacity.html and capacity-steps.csv next to a capacity.json).
int report_command(const std::string& report_path);

struct CompareSettings {
    std::string base_path;
    std::string candidate_path;
    std::string tolerances_file;
    // Flags as typed ("5%"), empty when not given; they override the file.
    std::string max_throughput_drop;
    std::string max_p50_rise;
    std::string max_p99_rise;
    std::string max_recovery_rise;
    std::string max_redis_cpu_rise;
    std::optional<double> min_latency_delta_ms;  // the latency noise floor, when given
    bool allow_different_workloads = false;
    bool json_output = false;
    bool markdown_output = false;
    std::string html_path;  // --html: the comparison page, written here; empty: none
};
// Exit 1 when the candidate regressed; environment warnings never change the exit code. Exit 2
// (WorkloadError) for BASE and NEW of one run under two names (a copied report).
int compare_command(const CompareSettings& settings);

// Writes DIR/capacity.json and capacity.html, each step's reports in DIR/steps/; prints the
// answer. Exit 0 when a rate meets the SLO, 1 when not even the lowest rate does.
int capacity_command(const RunSettings& settings, const CapacityOptions& options,
                     double step_duration_s, const os::StopSignals& stop);

// After a run whose harness died (or that kept its keys): judges it again from what Redis
// holds (report.json, report.html, junit.xml in out_dir; exit 0 pass, 1 fail), or removes what
// it created there. Both read the run's record (sh:{<run-id>}:record); exit 3 without one.
int verify_command(const redis::Endpoint& redis, const std::string& run_id,
                   const std::string& out_dir);
int cleanup_command(const redis::Endpoint& redis, const std::string& run_id);

// Prints report fields by dotted path: strings bare, everything else as JSON.
int show_command(const std::string& report_path, const std::vector<std::string>& paths);

}  // namespace sh::cli
