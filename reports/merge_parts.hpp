// `streamharness merge` (DESIGN §11.1): the agents' partial reports of one shared run, checked
// to be exactly that run's N agents, and their measurements merged: counters summed,
// histograms merged (a percentile is read off the merged histogram, never averaged), the
// per-second timeline added up, events and consumers side by side. The verdict is not here:
// it is judged once from Redis (harness/run/shared_verdict.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/run/run_result.hpp"
#include "reports/agent_json.hpp"

namespace sh::reports {

struct AgentReport {
    std::string path;
    nlohmann::json report;
    AgentSection section;
};

// Reads each report's agent section and checks that together they are one run's agents, each
// exactly once, each finished (WorkloadError listing every problem: another run, a missing
// agent, an agent given twice, a report that is not an agent's). Returns them by index.
std::vector<AgentReport> check_agent_reports(const std::vector<std::string>& paths,
                                             const std::vector<nlohmann::json>& reports);

// The merged measurements, typed, for the verdict and report.json.
run::RunResult merge_measurements(const std::vector<AgentReport>& agents);

// What report.json carries per agent that is merged as JSON: the timeline (produced and
// applied added up per second; the rest is agent 1's), the events (each with its agent),
// the chaos summary (agent 1's: it ran the faults), the cluster retries (summed).
void merge_sections(nlohmann::json& merged, const std::vector<AgentReport>& agents);

struct MergedParts {
    std::vector<AgentReport> agents;
    run::RunResult result;
};
// What `merge` does with the reports before it reads Redis: check_agent_reports, then the
// measurements merged and the sections tried on them. A report that cannot be merged (a
// field missing or of the wrong type) is refused with WorkloadError naming the problem.
MergedParts merge_agent_reports(const std::vector<std::string>& paths,
                                const std::vector<nlohmann::json>& reports);

}  // namespace sh::reports
