#include "reports/merge_parts.hpp"

#include <algorithm>
#include <map>

#include "harness/errors.hpp"
#include "harness/workload/workload_json.hpp"
#include "reports/provenance_json.hpp"
#include "reports/report_json.hpp"
#include "reports/report_keys.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

std::string label(int index, int count) {
    return std::to_string(index) + "/" + std::to_string(count);
}

const json& at(const json& document, std::initializer_list<const char*> path) {
    static const json null_value;
    const json* node = &document;
    for (const char* name : path) {
        if (!node->is_object() || !node->contains(name)) return null_value;
        node = &(*node)[name];
    }
    return *node;
}

void merge_histogram(measure::Histogram& into, const json& serialised) {
    if (!serialised.is_null()) into.merge_json(serialised);
}

measure::CounterValues counters_from(const json& counters) {
    measure::CounterValues values;
    measure::each_counter(values, [&](const char* name, std::uint64_t& value) {
        value = counters.is_object() ? counters.value(name, std::uint64_t{0}) : 0;
    });
    return values;
}

// Adds the numbers of `from` into `into`, member by member (the cluster retries).
void add_numbers(json& into, const json& from) {
    if (into.is_number() && from.is_number()) {
        into = into.get<std::uint64_t>() + from.get<std::uint64_t>();
        return;
    }
    if (!into.is_object() || !from.is_object()) return;
    for (auto& [name, value] : into.items()) {
        if (from.contains(name)) add_numbers(value, from[name]);
    }
}

}  // namespace

std::vector<AgentReport> check_agent_reports(const std::vector<std::string>& paths,
                                             const std::vector<json>& reports) {
    std::vector<std::string> problems;
    std::vector<AgentReport> agents;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& report = reports[i];
        auto verdict = at(report, {key::verdict});
        if (!report.is_object() || at(report, {key::agent}).is_null()) {
            problems.push_back(paths[i] + ": not an agent's report (run --agent I/N writes one)");
            continue;
        }
        try {
            AgentReport agent{paths[i], report, agent_section_from_json(report.at(key::agent))};
            if (verdict != value::partial) {
                const auto& part = agent.section.part;
                auto message = at(report, {key::error, key::message});
                problems.push_back(paths[i] + ": agent " + label(part.index, part.count) +
                                   " did not finish its share (verdict " + verdict.dump() +
                                   (message.is_string() ? ": " + message.get<std::string>() : "") +
                                   "); the run cannot be judged: remove its keys with "
                                   "streamharness cleanup --run-id");
            }
            agents.push_back(std::move(agent));
        } catch (const std::exception& error) {
            problems.push_back(paths[i] + ": " + error.what());
        }
    }
    if (agents.empty() && problems.empty()) problems.push_back("no agent reports given");
    if (!agents.empty()) {
        const auto& first = agents.front();
        auto run_id = at(first.report, {key::run_id});
        int count = first.section.part.count;
        std::map<int, std::string> seen;
        for (const auto& agent : agents) {
            if (at(agent.report, {key::run_id}) != run_id) {
                problems.push_back(agent.path + ": run " + at(agent.report, {key::run_id}).dump() +
                                   ", not " + run_id.dump() + " like " + first.path);
            }
            if (agent.section.part.count != count) {
                problems.push_back(agent.path + ": one of " +
                                   std::to_string(agent.section.part.count) + " agents, not " +
                                   std::to_string(count) + " like " + first.path);
                continue;
            }
            auto [it, inserted] = seen.emplace(agent.section.part.index, agent.path);
            if (!inserted) {
                problems.push_back("agent " + label(agent.section.part.index, count) +
                                   " is given twice: " + it->second + " and " + agent.path);
            }
        }
        for (int index = 1; index <= count; ++index) {
            if (!seen.count(index)) {
                problems.push_back("agent " + label(index, count) + " of run " + run_id.dump() +
                                   " is missing: give every agent's report directory");
            }
        }
    }
    if (!problems.empty()) throw WorkloadError(problems);
    std::sort(agents.begin(), agents.end(), [](const auto& a, const auto& b) {
        return a.section.part.index < b.section.part.index;
    });
    return agents;
}

run::RunResult merge_measurements(const std::vector<AgentReport>& agents) {
    const auto& leader = agents.front().report;
    run::RunResult result;
    result.run_id = leader.at(key::run_id).get<std::string>();
    result.started_at = leader.at(key::started_at).get<std::string>();
    result.workload = workload::parse_workload(leader.at(key::workload));
    for (const auto& group : result.workload.groups) result.group_names.push_back(group.name);
    const auto& environment = leader.at(key::environment);
    result.environment = {
        environment.value(key::redis_version, ""),   environment.value(key::redis, ""),
        environment.value(key::persistence, ""),     environment.value(key::maxmemory_policy, ""),
        environment.value(key::host_cores, 0u),      environment.value(key::stream_key, ""),
        environment.value(key::entry_stamp, ""),     environment.value(key::stream_created, false),
        environment.value(key::group_start_id, "0"), redis_config_of(leader)};
    for (const auto& spec : result.workload.groups) {
        auto& group = result.groups.emplace_back();
        group.name = spec.name;
        group.external = spec.consumer.has_value();
    }
    result.drained = true;
    for (const auto& agent : agents) {
        const auto& report = agent.report;
        const auto& summary = report.at(key::summary);
        merge_histogram(*result.xadd_latency, at(report, {key::histograms, key::xadd}));
        for (auto& group : result.groups) {
            group.counters +=
                counters_from(at(summary, {key::groups, group.name.c_str(), key::counters}));
            const auto& histograms = at(report, {key::histograms, key::groups});
            merge_histogram(*group.latency_first,
                            at(histograms, {group.name.c_str(), key::first_delivery}));
            merge_histogram(*group.latency_recovered,
                            at(histograms, {group.name.c_str(), key::recovered}));
        }
        for (const auto& consumer : report.at(key::consumers)) {
            result.consumers.push_back({consumer.at(key::group).get<std::string>(),
                                        consumer.at(key::name).get<std::string>(),
                                        counters_from(consumer.at(key::counters))});
        }
        // The run's phases are as long as the longest agent's.
        result.producing_s = std::max(result.producing_s,
                                      at(summary, {key::produced, key::producing_s}).get<double>());
        result.drain_s =
            std::max(result.drain_s, at(summary, {key::drain, key::seconds}).get<double>());
        result.drained = result.drained && at(summary, {key::drain, key::drained}).get<bool>();
        result.producer_reconnects +=
            at(summary, {key::produced, key::reconnects}).get<std::uint64_t>();
        result.evicted_keys =
            std::max(result.evicted_keys, at(summary, {key::evicted_keys}).get<std::int64_t>());
        const auto& final_stop = at(summary, {key::final_stop});
        result.final_stop.grace_s =
            std::max(result.final_stop.grace_s, final_stop.at(key::grace_s).get<double>());
        for (const auto& name : final_stop.at(key::killed)) {
            result.final_stop.killed.push_back(name.get<std::string>());
        }
        for (const auto& [group, orders] : agent.section.held_at_hard_kills) {
            auto& held = result.held_at_hard_kills[group];
            held.insert(held.end(), orders.begin(), orders.end());
        }
        result.faults.insert(result.faults.end(), agent.section.faults.begin(),
                             agent.section.faults.end());
        result.merged_agents.push_back(agent.section.part);
    }
    for (auto& group : result.groups) {
        group.latency_all->merge(*group.latency_first);
        group.latency_all->merge(*group.latency_recovered);
    }
    return result;
}

void merge_sections(json& merged, const std::vector<AgentReport>& agents) {
    const auto& leader = agents.front().report;
    json timeline = leader.at(key::timeline);
    json cluster = leader.at(key::cluster);
    json events = json::array();
    for (const auto& agent : agents) {
        const auto& report = agent.report;
        for (auto event : report.at(key::events)) {
            event[key::agent] = agent.section.part.index;
            events.push_back(std::move(event));
        }
        if (&agent == &agents.front()) continue;
        // Row i of every agent is its i-th second since the start barrier released them all.
        const auto& rows = report.at(key::timeline);
        for (std::size_t i = 0; i < rows.size() && i < timeline.size(); ++i) {
            auto& row = timeline[i];
            row[key::produced] = row[key::produced].get<std::uint64_t>() +
                                 rows[i].at(key::produced).get<std::uint64_t>();
            row[key::harness_cpu] =
                row[key::harness_cpu].get<double>() + rows[i].at(key::harness_cpu).get<double>();
            for (auto& [group, entry] : row[key::groups].items()) {
                const auto& other = at(rows[i], {key::groups, group.c_str()});
                if (other.is_null()) continue;
                entry[key::applied] = entry[key::applied].get<std::uint64_t>() +
                                      other.at(key::applied).get<std::uint64_t>();
            }
        }
        add_numbers(cluster, report.at(key::cluster));
    }
    for (auto& row : timeline) {
        auto span = row[key::span_s].get<double>();
        if (span <= 0) continue;
        row[key::produced_per_s] = row[key::produced].get<double>() / span;
        for (auto& [group, entry] : row[key::groups].items()) {
            entry[key::applied_per_s] = entry[key::applied].get<double>() / span;
        }
    }
    std::stable_sort(events.begin(), events.end(), [](const json& a, const json& b) {
        return a.at(key::at_s).get<double>() < b.at(key::at_s).get<double>();
    });
    merged[key::timeline] = std::move(timeline);
    merged[key::events] = std::move(events);
    merged[key::chaos] = leader.at(key::chaos);
    merged[key::cluster] = std::move(cluster);
    merged[key::summary][key::bottleneck] = leader.at(key::summary).at(key::bottleneck);
    merged[key::summary][key::memory] = leader.at(key::summary).at(key::memory);
}

MergedParts merge_agent_reports(const std::vector<std::string>& paths,
                                const std::vector<json>& reports) {
    MergedParts merged{check_agent_reports(paths, reports), {}};
    try {
        merged.result = merge_measurements(merged.agents);
        auto trial = to_json(merged.result, "");
        merge_sections(trial, merged.agents);
    } catch (const json::exception& error) {
        throw input_error({"an agent's report is incomplete: " + std::string(error.what())});
    } catch (const std::invalid_argument& error) {  // a histogram that does not merge
        throw input_error({"an agent's report is incomplete: " + std::string(error.what())});
    }
    return merged;
}

}  // namespace sh::reports
