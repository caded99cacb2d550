// The "agent" section of an agent's partial report (DESIGN §11.1): what `merge` needs of that
// agent beyond its measurements (its producers' record of the orders that did not go through,
// what its faults did, where it counted evictions from), written and read back here only.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/run/run_result.hpp"
#include "harness/verify/gates.hpp"

namespace sh::reports {

// result.agent must be set.
nlohmann::json agent_json(const run::RunResult& result);

struct AgentSection {
    run::AgentPart part;
    std::map<std::string, std::vector<std::uint64_t>> held_at_hard_kills;
    std::vector<verify::FaultTally> faults;
};
// Throws std::invalid_argument naming the field that is missing or wrong.
AgentSection agent_section_from_json(const nlohmann::json& section);

// The "agents" section of a merged report: each agent's host, clock and share.
nlohmann::json merged_agents_json(const std::vector<run::AgentPart>& agents);

}  // namespace sh::reports
