#include "reports/agent_json.hpp"

#include <stdexcept>

#include "reports/report_keys.hpp"

namespace sh::reports {

using nlohmann::json;

json agent_json(const run::RunResult& result) {
    const auto& part = *result.agent;
    json tallies = json::array();
    for (const auto& tally : result.faults) {
        tallies.push_back({{key::event, tally.event},
                           {key::kind, tally.kind},
                           {key::target, tally.target},
                           {key::scheduled, tally.scheduled},
                           {key::landed, tally.landed},
                           {key::skipped, tally.skipped}});
    }
    return {{key::index, part.index},
            {key::count, part.count},
            {key::host, part.host},
            {key::boot_id, part.boot_id},
            {key::clock_agents, part.clock_agents},
            {key::orders_allocated, part.orders_allocated},
            {key::failed, part.failed},
            {key::indeterminate, part.indeterminate},
            {key::unsent, part.unsent},
            {key::eviction_baselines, part.eviction_baselines},
            {key::held_at_hard_kills, result.held_at_hard_kills},
            {key::fault_tallies, tallies}};
}

AgentSection agent_section_from_json(const json& section) {
    auto field = [&](const char* name) -> const json& {
        if (!section.is_object() || !section.contains(name)) {
            throw std::invalid_argument(std::string("agent.") + name + " is missing");
        }
        return section.at(name);
    };
    AgentSection read;
    try {
        auto& part = read.part;
        part.index = field(key::index).get<int>();
        part.count = field(key::count).get<int>();
        part.host = field(key::host).get<std::string>();
        part.boot_id = field(key::boot_id).get<std::string>();
        part.clock_agents = field(key::clock_agents).get<std::vector<int>>();
        part.orders_allocated = field(key::orders_allocated).get<std::uint64_t>();
        part.failed = field(key::failed).get<std::vector<std::uint64_t>>();
        part.indeterminate = field(key::indeterminate).get<std::vector<std::uint64_t>>();
        part.unsent = field(key::unsent).get<std::vector<std::uint64_t>>();
        part.eviction_baselines =
            field(key::eviction_baselines).get<std::map<std::string, std::int64_t>>();
        read.held_at_hard_kills =
            field(key::held_at_hard_kills).get<std::map<std::string, std::vector<std::uint64_t>>>();
        for (const auto& tally : field(key::fault_tallies)) {
            read.faults.push_back({tally.at(key::event).get<std::size_t>(),
                                   tally.at(key::kind).get<std::string>(),
                                   tally.at(key::scheduled).get<std::uint64_t>(),
                                   tally.at(key::landed).get<std::uint64_t>(),
                                   tally.at(key::skipped).get<std::uint64_t>(),
                                   tally.at(key::target).get<std::string>()});
        }
    } catch (const json::exception& error) {
        throw std::invalid_argument(std::string("agent section: ") + error.what());
    }
    if (read.part.count < 1 || read.part.index < 1 || read.part.index > read.part.count) {
        throw std::invalid_argument("agent.index " + std::to_string(read.part.index) + " of " +
                                    std::to_string(read.part.count) + " agents");
    }
    return read;
}

json merged_agents_json(const std::vector<run::AgentPart>& agents) {
    json list = json::array();
    for (const auto& part : agents) {
        list.push_back({{key::index, part.index},
                        {key::host, part.host},
                        {key::boot_id, part.boot_id},
                        {key::clock_agents, part.clock_agents},
                        {key::orders_allocated, part.orders_allocated}});
    }
    return list;
}

}  // namespace sh::reports
