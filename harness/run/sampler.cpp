#include "harness/run/sampler.hpp"

#include <unistd.h>

#include <algorithm>

#include "harness/errors.hpp"
#include "harness/measure/clock.hpp"
#include "harness/measure/cpu.hpp"
#include "harness/measure/memory.hpp"
#include "harness/redis/info.hpp"
#include "harness/redis/streams.hpp"

namespace sh::run {

namespace {

constexpr std::int64_t second_ns = 1'000'000'000;

// Cumulative end-to-end latency of a group over all its consumers' slots.
std::unique_ptr<measure::Histogram> group_latency(RunControl& control, std::size_t group) {
    auto merged = std::make_unique<measure::Histogram>();
    for (const auto& worker : control.fleet.workers()) {
        if (worker.group_index != group) continue;
        const auto& slot = control.fleet.slot_of(worker);
        merged->merge(slot.latency_first);
        merged->merge(slot.latency_recovered);
    }
    return merged;
}

double ms(std::uint64_t us) {
    return static_cast<double>(us) / 1000.0;
}

// Summed over a cluster's primaries.
std::int64_t memory_bytes(redis::Connection& connection) {
    std::int64_t bytes = 0;
    redis::for_each_primary(connection, [&](redis::Connection& node) {
        auto text = redis::info_field(node, "memory", "used_memory");
        bytes += text.empty() ? 0 : std::stoll(text);
    });
    return bytes;
}

}  // namespace

Sampler::Sampler(std::vector<std::string> group_names, LiveMetrics* live)
    : group_names_(std::move(group_names)), live_(live, group_names_) {
    for (std::size_t g = 0; g < group_names_.size(); ++g) {
        last_latency_.push_back(std::make_unique<measure::Histogram>());
    }
}

SampleTotals Sampler::read_totals(RunControl& control, const produce::ProducerTotals& totals) {
    SampleTotals now;
    now.at_ns = measure::monotonic_ns();
    now.produced = totals.ok.load();
    now.applied.assign(control.workload.groups.size(), 0);
    for (const auto& worker : control.fleet.workers()) {
        now.applied[worker.group_index] += control.fleet.slot_of(worker).counters.applied.load();
        if (worker.process.running()) {
            // CPU time only grows; a process that exits mid-read must not count less.
            auto& seen = (worker.external ? external_cpu_s_ : worker_cpu_s_)[worker.process.pid()];
            seen = std::max(seen, measure::process_cpu_s(worker.process.pid()));
            if (!worker.external) {
                now.workers_private_bytes +=
                    measure::proc_status_bytes(worker.process.pid(), "RssAnon");
            }
        }
    }
    // An external consumer keeps no counters: what it applied is in its ledger hash.
    for (std::size_t g = 0; g < control.workload.groups.size(); ++g) {
        const auto& group = control.workload.groups[g];
        if (!group.consumer) continue;
        // External consumers run unsharded (workload checks): one ledger.
        auto reply = control.redis.command({"HLEN", control.shards.front().applied(group.name)});
        now.applied[g] = static_cast<std::uint64_t>(redis::ReplyView(reply.get()).integer());
    }
    // A killed or restarted worker keeps counting with the CPU it had used when last seen:
    // dropping it would make the next second's harness CPU negative. The user's own consumers
    // are not the harness: their CPU is counted apart.
    now.harness_cpu_s = measure::process_cpu_s(getpid());
    now.supervisor_rss_bytes = measure::process_rss_bytes(getpid());
    for (const auto& [pid, cpu_s] : worker_cpu_s_) now.harness_cpu_s += cpu_s;
    for (const auto& [pid, cpu_s] : external_cpu_s_) now.external_cpu_s += cpu_s;
    now.redis_cpu_s = 0;  // summed over a cluster's primaries
    redis::for_each_primary(control.redis, [&](redis::Connection& node) {
        now.redis_cpu_s += measure::redis_cpu_s(node);
    });
    return now;
}

void Sampler::tick(RunControl& control, const produce::ProducerTotals& totals, bool producing) {
    auto now_ns = measure::monotonic_ns();
    if (now_ns < next_ns_) return;
    try {
        auto now = read_totals(control, totals);
        if (next_ns_ == 0) {
            // Counts start from zero so the rows add up to the run's totals; CPU counters
            // start from what the processes had already used.
            last_ = std::move(now);
            last_.produced = 0;
            std::fill(last_.applied.begin(), last_.applied.end(), 0);
            next_ns_ = now_ns + second_ns;
            return;
        }
        next_ns_ += second_ns;
        take_row(control, std::move(now), totals, producing);
    } catch (const RedisError&) {
        next_ns_ = now_ns + second_ns;  // Redis restarting: skip this second
    }
}

void Sampler::finish(RunControl& control, const produce::ProducerTotals& totals) {
    if (next_ns_ == 0) return;  // never started
    try {
        take_row(control, read_totals(control, totals), totals, false);
    } catch (const RedisError&) {
        // Redis gone at the very end: the last partial second stays out of the timeline.
    }
}

void Sampler::take_row(RunControl& control, SampleTotals now, const produce::ProducerTotals& totals,
                       bool producing) {
    auto row = row_between(last_, now, control.start_ns, producing);
    std::vector<redis::GroupInfo> infos;  // every shard's: a group's figures are their sums
    for (const auto& shard : control.shards) {
        auto more = redis::xinfo_groups(control.redis, shard.stream());
        infos.insert(infos.end(), more.begin(), more.end());
    }
    for (std::size_t g = 0; g < group_names_.size(); ++g) {
        auto cumulative = group_latency(control, g);
        auto second = std::make_unique<measure::Histogram>();
        second->merge(*cumulative);
        second->subtract(*last_latency_[g]);
        last_latency_[g] = std::move(cumulative);
        auto& group = row.groups[g];
        group.p50_ms = ms(second->percentile(50));
        group.p99_ms = ms(second->percentile(99));
        // Absent when no shard lists the group; lag also when one shard cannot tell.
        bool lag_known = true;
        for (const auto& info : infos) {
            if (info.name != group_names_[g]) continue;
            group.pending = group.pending.value_or(0) + info.pending;
            lag_known = lag_known && info.lag.has_value();
            group.lag = lag_known ? std::optional(group.lag.value_or(0) + *info.lag) : std::nullopt;
        }
    }
    for (const auto& event : control.result.events) {
        if (!is_fault(event)) continue;
        if (event.at_s >= row.t_s - row.span_s && event.at_s < row.t_s) ++row.faults;
    }
    row.redis_memory_bytes = memory_bytes(control.redis);
    row.stream_length = 0;
    for (const auto& shard : control.shards) {
        row.stream_length += redis::xlen(control.redis, shard.stream());
    }
    live_.record(row, last_, now, last_latency_, totals, control.result);
    rows_.push_back(std::move(row));
    last_ = std::move(now);
}

Bottleneck Sampler::bottleneck(unsigned host_cores) const {
    return bottleneck_of(rows_, host_cores);
}

MemorySummary Sampler::memory() const {
    return memory_of(rows_);
}

}  // namespace sh::run
