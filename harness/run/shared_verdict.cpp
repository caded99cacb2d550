#include "harness/run/shared_verdict.hpp"

#include <algorithm>
#include <set>

#include "harness/errors.hpp"
#include "harness/model/agent_share.hpp"
#include "harness/model/keys.hpp"
#include "harness/run/agent_barrier.hpp"
#include "harness/run/redis_setup.hpp"
#include "harness/run/run_verdict.hpp"

namespace sh::run {

namespace {

// Every agent's order numbers with their outcomes; numbers no agent handed out read unsent.
model::OutcomeTable join_outcomes(const std::vector<AgentPart>& parts, RunResult& result) {
    model::OutcomeTable outcomes;
    std::uint64_t size = 0;
    for (const auto& part : parts) {
        model::AgentShare share{part.index, part.count};
        if (part.orders_allocated > 0) {
            size = std::max(size, share.order_number(part.orders_allocated - 1) + 1);
        }
        for (std::uint64_t local = 0; local < part.orders_allocated; ++local) {
            outcomes.set(share.order_number(local), model::Outcome::ok);
        }
        auto mark = [&](const std::vector<std::uint64_t>& orders, model::Outcome outcome) {
            for (auto order : orders) outcomes.set(order, outcome);
        };
        mark(part.failed, model::Outcome::failed);
        mark(part.indeterminate, model::Outcome::indeterminate);
        mark(part.unsent, model::Outcome::unsent);
        result.orders_allocated += part.orders_allocated;
    }
    outcomes.resize(size);
    result.produced_ok = outcomes.count(model::Outcome::ok);
    result.produced_failed = outcomes.count(model::Outcome::failed);
    result.produced_indeterminate = outcomes.count(model::Outcome::indeterminate);
    return outcomes;
}

// Per server process, the earliest reading any agent took.
std::map<std::string, std::int64_t> earliest_baselines(const std::vector<AgentPart>& parts) {
    std::map<std::string, std::int64_t> baselines;
    for (const auto& part : parts) {
        for (const auto& [server, evicted] : part.eviction_baselines) {
            auto [it, inserted] = baselines.emplace(server, evicted);
            if (!inserted) it->second = std::min(it->second, evicted);
        }
    }
    return baselines;
}

std::string label(const AgentPart& part) {
    return "agent " + std::to_string(part.index) + "/" + std::to_string(part.count);
}

// What each part says of its producers must be what that agent told Redis when it finished,
// and its orders its own; an order it calls failed or never sent must not be in the stream.
// A part that disagrees is not this run's (a stale report, an edited one): refused.
void check_parts(redis::Connection& redis, const RunRecord& record,
                 const std::vector<AgentPart>& parts, const model::StreamShards& shards) {
    std::vector<std::string> problems;
    auto states = read_agents(redis, record.run_id);
    std::set<std::uint64_t> not_written;  // failed or never sent, by some part's account
    for (const auto& part : parts) {
        model::AgentShare share{part.index, part.count};
        auto state = std::find_if(states.begin(), states.end(),
                                  [&](const auto& agent) { return agent.index == part.index; });
        auto listed = part.failed.size() + part.indeterminate.size() + part.unsent.size();
        if (state == states.end() || state->phase != "done") {
            problems.push_back(label(part) + " did not finish in Redis (" +
                               model::RunKeys::agents_key(record.run_id) + ": " +
                               (state == states.end() ? "absent" : state->phase) + ")");
        } else if (state->orders_allocated != part.orders_allocated ||
                   state->orders_produced_ok + listed != part.orders_allocated) {
            problems.push_back(
                label(part) + "'s report says " + std::to_string(part.orders_allocated) +
                " orders, " + std::to_string(part.orders_allocated - listed) +
                " written; it told Redis " + std::to_string(state->orders_allocated) + " and " +
                std::to_string(state->orders_produced_ok));
        }
        for (const auto* list : {&part.failed, &part.indeterminate, &part.unsent}) {
            for (auto order : *list) {
                if (share.agent_of_order(order) != part.index ||
                    order >= share.order_number(part.orders_allocated)) {
                    problems.push_back(label(part) + " lists order " + std::to_string(order) +
                                       ", which is not one of its own");
                    break;
                }
            }
        }
        not_written.insert(part.failed.begin(), part.failed.end());
        not_written.insert(part.unsent.begin(), part.unsent.end());
    }
    if (!not_written.empty()) {
        for (auto order : verify::orders_in_stream(redis, shards)) {
            if (not_written.count(order) > 0) {
                problems.push_back("order " + std::to_string(order) +
                                   " is in the stream, and its agent's report says it was "
                                   "never written");
                break;
            }
        }
    }
    if (!problems.empty()) {
        problems.push_back("these reports are not run " + record.run_id +
                           " as Redis holds it: merge the reports its agents wrote this time");
        throw WorkloadError(problems);
    }
}

}  // namespace

void judge_shared_run(RunResult& result, redis::Connection& redis, const RunRecord& record,
                      const std::vector<AgentPart>& parts) {
    const auto& workload = record.workload;
    result.orders_allocated = 0;
    auto outcomes = join_outcomes(parts, result);
    model::StreamShards shards(record.run_id, workload.stream.name, workload.stream.key,
                               record.stamp, workload.stream.shards);
    check_parts(redis, record, parts, shards);
    auto ledgers = read_ledgers(result, redis, shards, workload, outcomes, nullptr);
    // Read after the ledgers, from the earliest agent's baselines: an eviction between the
    // last agent's end and this read is counted too (the agents' own counts cover servers
    // that are gone now).
    EvictionCount evictions(earliest_baselines(parts));
    evictions.read(redis);
    result.evicted_keys = std::max(result.evicted_keys, evictions.total());
    model::OrderAttributes attributes{workload.seed,
                                      static_cast<std::uint64_t>(workload.producers.users),
                                      workload.producers.poison_ratio};
    judge_groups(result, workload, outcomes, attributes, ledgers);
    judge_gates(result, workload, std::nullopt);
}

}  // namespace sh::run
