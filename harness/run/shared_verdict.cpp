#include "harness/run/shared_verdict.hpp"

#include <algorithm>

#include "harness/model/agent_share.hpp"
#include "harness/model/keys.hpp"
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

}  // namespace

void judge_shared_run(RunResult& result, redis::Connection& redis, const RunRecord& record,
                      const std::vector<AgentPart>& parts) {
    const auto& workload = record.workload;
    result.orders_allocated = 0;
    auto outcomes = join_outcomes(parts, result);
    model::StreamShards shards(record.run_id, workload.stream.name, workload.stream.key,
                               record.stamp, workload.stream.shards);
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
