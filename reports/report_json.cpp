// RunResult → report.json: the one place that names the report's fields (see report_json.hpp).
#include "reports/report_json.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "harness/errors.hpp"
#include "harness/workload/workload_json.hpp"
#include "reports/agent_json.hpp"
#include "reports/cluster_json.hpp"
#include "reports/provenance_json.hpp"
#include "reports/replication_json.hpp"
#include "reports/report_keys.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

template <typename T>
json optional_json(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json counters_json(const measure::CounterValues& counters) {
    json result = json::object();
    measure::each_counter(counters,
                          [&](const char* name, std::uint64_t value) { result[name] = value; });
    return result;
}

json environment_json(const run::Environment& environment) {
    return {{key::redis_version, environment.redis_version},
            {key::redis, environment.redis},
            {key::persistence, environment.persistence},
            {key::maxmemory_policy, environment.maxmemory_policy},
            {key::host_cores, environment.host_cores},
            {key::stream_key, environment.stream_key},
            {key::entry_stamp, environment.entry_stamp},
            {key::stream_created, environment.stream_created},
            {key::group_start_id, environment.group_start_id}};
}

json bottleneck_json(const run::Bottleneck& bottleneck) {
    if (!bottleneck.redis_cpu_busy) {
        return {{key::steady_rows, bottleneck.steady_rows}, {key::saturated, bottleneck.saturated}};
    }
    return {{key::steady_rows, bottleneck.steady_rows},
            {key::redis_cpu_busy, *bottleneck.redis_cpu_busy},
            {key::harness_cpu_cores, optional_json(bottleneck.harness_cpu_cores)},
            {key::harness_share_of_remaining_cores,
             optional_json(bottleneck.harness_share_of_remaining_cores)},
            {key::host_cores, optional_json(bottleneck.host_cores)},
            {key::saturated, bottleneck.saturated}};
}

json resident_json(const run::ResidentSpan& span) {
    return {{key::after_warm_up, span.after_warm_up}, {key::end, span.end}, {key::max, span.max}};
}

json memory_json(const run::MemorySummary& memory) {
    if (memory.too_short) {
        return {{key::steady_rows, memory.steady_rows},
                {key::note, "run too short"},
                {key::outcome_record_bytes, memory.outcome_record_bytes}};
    }
    return {{key::steady_rows, memory.steady_rows},
            {key::warm_up_s, memory.warm_up_s},
            {key::supervisor_rss_mib, resident_json(memory.supervisor_rss_mib)},
            {key::workers_private_mib, resident_json(memory.workers_private_mib)},
            {key::supervisor_growth_mib, memory.supervisor_growth_mib},
            {key::orders_after_warm_up, memory.orders_after_warm_up},
            {key::supervisor_growth_bytes_per_order,
             optional_json(memory.supervisor_growth_bytes_per_order)},
            {key::supervisor_growth_kib_per_s, memory.supervisor_growth_kib_per_s},
            {key::outcome_record_bytes, memory.outcome_record_bytes}};
}

json max_rate_json(const std::optional<run::MaxRateSummary>& max_rate) {
    if (!max_rate) return nullptr;
    json steps = json::array();
    for (const auto& step : max_rate->steps) {
        steps.push_back({{key::t_s, step.t_s},
                         {key::rate, step.rate},
                         {key::backlog, step.backlog},
                         {key::producer_behind_ms, step.producer_behind_ms}});
    }
    return {{key::sustained_orders_per_s, max_rate->sustained_orders_per_s},
            {key::final_rate, max_rate->final_rate},
            {key::raises, max_rate->raises},
            {key::cuts, max_rate->cuts},
            {key::backlog_bound, max_rate->backlog_bound},
            {key::steps, steps}};
}

json group_summary(const run::GroupResult& group, bool verified_after_the_run) {
    json summary = {{key::consumer, group.external ? "external" : "built-in"},
                    {key::applied, group.verdict.applied},
                    {key::dead_lettered, group.verdict.dead_lettered},
                    {key::applied_per_s, group.applied_per_s},
                    {key::latency, nullptr}};
    // An external consumer's latency and counters are not measured (only its effects in Redis
    // are seen), nor anyone's when the run is verified afterwards from Redis alone: null, not
    // zeros that would read as measurements.
    if (group.external || verified_after_the_run) return summary;
    summary[key::counters] = counters_json(group.counters);
    summary[key::latency] = {{key::end_to_end, latency_json(group.latency_all->summary())},
                             {key::first_delivery, latency_json(group.latency_first->summary())},
                             {key::recovered, latency_json(group.latency_recovered->summary())}};
    return summary;
}

json produced_json(const run::RunResult& result) {
    auto ok_per_s =
        result.producing_s > 0 ? static_cast<double>(result.produced_ok) / result.producing_s : 0.0;
    return {{key::allocated, result.orders_allocated},
            {key::ok, result.produced_ok},
            {key::failed, result.produced_failed},
            {key::indeterminate, result.produced_indeterminate},
            {key::indeterminate_resolved,
             {{key::recovered, result.indeterminate.recovered.size()},
              {key::unknown, result.indeterminate.unknown}}},
            {key::reconnects, result.producer_reconnects},
            {key::producing_s, result.producing_s},
            {key::ok_per_s, ok_per_s}};
}

json summary_json(const run::RunResult& result) {
    json groups = json::object();
    for (const auto& group : result.groups) {
        groups[group.name] = group_summary(group, result.verified_after_the_run);
    }
    json per_producer = json::array();
    for (const auto& latency : result.xadd_latency_per_producer) {
        per_producer.push_back(latency_json(latency->summary()));
    }
    return {
        {key::produced, produced_json(result)},
        {key::xadd_latency, latency_json(result.xadd_latency->summary())},
        {key::xadd_latency_per_producer, per_producer},
        {key::bottleneck, bottleneck_json(result.bottleneck)},
        {key::memory, memory_json(result.memory)},
        {key::max_rate, max_rate_json(result.max_rate)},
        {key::drain, {{key::drained, result.drained}, {key::seconds, result.drain_s}}},
        {key::final_stop,
         {{key::grace_s, result.final_stop.grace_s}, {key::killed, result.final_stop.killed}}},
        {key::evicted_keys, result.evicted_keys},
        {key::cleanup, {{key::not_removed, result.cleanup_notes}}},
        {key::retention,
         {{key::mode, workload::to_json(result.workload)[key::stream][key::retention][key::mode]},
          {key::trimmed, result.retention_trimmed}}},
        {key::groups, groups}};
}

json timeline_json(const run::RunResult& result) {
    json rows = json::array();
    for (const auto& row : result.timeline)
        rows.push_back(timeline_row_json(row, result.group_names));
    return rows;
}

json facts_json(const run::EventFacts& facts) {
    json data = json::object();
    auto put = [&](const char* name, const auto& value) {
        if (value) data[name] = *value;
    };
    put(key::skipped, facts.skipped);
    put(key::window, facts.window);
    put(key::aimed, facts.aimed);
    put(key::pending, facts.pending);
    put(key::pending_before, facts.pending_before);
    put(key::pending_after, facts.pending_after);
    put(key::in_flight, facts.in_flight);
    put(key::applied_unacked, facts.applied_unacked);
    put(key::acked_unapplied, facts.acked_unapplied);
    put(key::duration_ms, facts.duration_ms);
    put(key::service_us, facts.service_us);
    put(key::connections_killed, facts.connections_killed);
    put(key::exit, facts.exit);
    put(key::timed_out, facts.timed_out);
    if (facts.restarted_as) data[key::restarted_as] = optional_json(*facts.restarted_as);
    put(key::recovery_ms, facts.recovery_ms);
    put(key::unrecovered, facts.unrecovered);
    put(key::hard, facts.hard);
    put(key::persistence, facts.persistence);
    put(key::restart_ms, facts.restart_ms);
    put(key::order_watermark, facts.order_watermark);
    put(key::old_primary, facts.old_primary);
    put(key::new_primary, facts.new_primary);
    put(key::to_new_primary_ms, facts.to_new_primary_ms);
    put(key::replica, facts.replica);
    put(key::shard, facts.shard);
    put(key::slot, facts.slot);
    put(key::from, facts.from);
    put(key::to, facts.to);
    put(key::keys_moved, facts.keys_moved);
    put(key::migration_ms, facts.migration_ms);
    put(key::mode, facts.mode);
    return data;
}

json events_json(const std::vector<run::TimelineEvent>& events) {
    json list = json::array();
    for (const auto& event : events) {
        auto entry = facts_json(event.facts);
        entry[key::at_s] = event.at_s;
        entry[key::kind] = event.kind;
        entry[key::target] = event.target;
        if (!event.detail.empty()) entry[key::detail] = event.detail;
        list.push_back(std::move(entry));
    }
    return list;
}

json landing_counts(std::uint64_t scheduled, std::uint64_t landed, std::uint64_t skipped) {
    // Faults due after the producers stopped never came due.
    return {{key::scheduled, scheduled},
            {key::landed, landed},
            {key::skipped, skipped},
            {key::not_reached, scheduled - std::min(scheduled, landed + skipped)}};
}

json chaos_json(const run::RunResult& result) {
    if (!result.chaos) return json::object();
    const auto& chaos = *result.chaos;
    json schedule = json::array();
    for (const auto& fault : chaos.schedule) {
        schedule.push_back(
            {{key::at_s, fault.at_s}, {key::fault, fault.fault}, {key::target, fault.target}});
    }
    // Per event, and summed per kind for people; the gates judge each event.
    json landing = json::object();
    json per_event = json::array();
    std::map<std::string, verify::FaultTally> per_kind;
    for (const auto& tally : result.faults) {
        auto counts = landing_counts(tally.scheduled, tally.landed, tally.skipped);
        per_event.push_back(counts);
        per_event.back()[key::event] = tally.event;
        per_event.back()[key::fault] = tally.kind;
        per_event.back()[key::target] = tally.target;
        auto& sum = per_kind[tally.kind];
        sum.scheduled += tally.scheduled;
        sum.landed += tally.landed;
        sum.skipped += tally.skipped;
    }
    for (const auto& [kind, sum] : per_kind) {
        landing[kind] = landing_counts(sum.scheduled, sum.landed, sum.skipped);
    }
    json faults = json::object();
    for (const auto& [kind, count] : chaos.faults) faults[kind] = count;
    return {{key::schedule, schedule},
            {key::summary,
             {{key::faults, faults},
              {key::landing, landing},
              {key::landing_per_event, per_event},
              {key::kills_with_pending, chaos.kills_with_pending},
              {key::recovered, chaos.recovered},
              {key::unrecovered, chaos.unrecovered},
              {key::recovery_ms,
               {{key::p50, chaos.recovery_p50_ms}, {key::max, chaos.recovery_max_ms}}}}}};
}

// The workload as the report shows it. A consumer's env is where tokens go: provenance hides
// a `--set` of it, so the workload must not show its values either (its names stay).
json shown_workload(const workload::Workload& workload) {
    auto shown = workload::to_json(workload);
    for (auto& group : shown.at(key::groups)) {
        if (!group.contains(key::consumer)) continue;
        for (auto& value : group.at(key::consumer).at(key::env)) value = key::hidden_value;
    }
    return shown;
}

}  // namespace

json latency_json(const measure::LatencySummary& summary) {
    auto ms = [](std::uint64_t us) { return static_cast<double>(us) / 1000.0; };
    return {{key::count, summary.count},       {key::mean_ms, summary.mean_us / 1000.0},
            {key::p50_ms, ms(summary.p50_us)}, {key::p90_ms, ms(summary.p90_us)},
            {key::p99_ms, ms(summary.p99_us)}, {key::p99_9_ms, ms(summary.p99_9_us)},
            {key::max_ms, ms(summary.max_us)}};
}

json timeline_row_json(const run::TimelineRow& row, const std::vector<std::string>& group_names) {
    json groups = json::object();
    for (std::size_t g = 0; g < row.groups.size() && g < group_names.size(); ++g) {
        const auto& group = row.groups[g];
        json entry = {{key::applied, group.applied},
                      {key::applied_per_s, static_cast<double>(group.applied) / row.span_s},
                      {key::p50_ms, group.p50_ms},
                      {key::p99_ms, group.p99_ms}};
        if (group.pending) {
            entry[key::pending] = *group.pending;
            entry[key::lag] = optional_json(group.lag);
        }
        groups[group_names[g]] = std::move(entry);
    }
    return {
        {key::t_s, row.t_s},
        {key::span_s, row.span_s},
        {key::phase, row.load ? value::load : value::drain},
        {key::produced, row.produced},
        {key::produced_per_s, static_cast<double>(row.produced) / row.span_s},
        {key::groups, groups},
        {key::redis_cpu, row.redis_cpu},
        {key::harness_cpu, row.harness_cpu},
        {key::external_cpu, row.external_cpu},
        {key::supervisor_rss_mib, row.supervisor_rss_mib},
        {key::workers_private_mib, row.workers_private_mib},
        {key::redis_memory_bytes, row.redis_memory_bytes},
        {key::stream_length, row.stream_length},
        {key::faults, row.faults},
    };
}

json verdict_json(const verify::GroupVerdict& verdict) {
    return {{key::group, verdict.group},
            {key::produced_ok, verdict.produced_ok},
            {key::recovered, verdict.recovered},
            {key::applied, verdict.applied},
            {key::applied_ok, verdict.applied_ok},
            {key::applied_indeterminate, verdict.applied_indeterminate},
            {key::lost, verdict.lost},
            {key::lost_recovered, verdict.lost_recovered},
            {key::lost_sample, verdict.lost_sample},
            {key::lost_by_restart, verdict.lost_by_restart},
            {key::lost_unattributed, verdict.lost_unattributed},
            {key::lost_writes, verdict.lost_writes},
            {key::duplicated_by_change, verdict.duplicated_by_change},
            {key::duplicated, verdict.duplicated},
            {key::duplicated_after_hard_kill, verdict.duplicated_after_hard_kill},
            {key::duplicated_without_hard_kill, verdict.duplicated_without_hard_kill},
            {key::extra_applications, verdict.extra_applications},
            {key::duplicated_sample, verdict.duplicated_sample},
            {key::unexpected, verdict.unexpected},
            {key::dead_lettered, verdict.dead_lettered},
            {key::dead_lettered_poison, verdict.dead_lettered_poison},
            {key::dead_lettered_healthy, verdict.dead_lettered_healthy},
            {key::applied_and_dead_lettered, verdict.applied_and_dead_lettered},
            {key::dead_lettered_unattributed, verdict.dead_lettered_unattributed},
            {key::dead_letter_reasons, verdict.dead_letter_reasons},
            {key::poison_not_dead_lettered, verdict.poison_not_dead_lettered},
            {key::poison_applied, verdict.poison_applied},
            {key::pending_left, verdict.pending_left},
            {key::lag_left, verdict.lag_left},
            {key::stuck, verdict.stuck},
            {key::stuck_by_consumer, verdict.stuck_by_consumer},
            {key::stalled_consumers, verdict.stalled_consumers},
            {key::shares, verdict.shares},
            {key::points,
             {{key::checked, verdict.points_checked},
              {key::expected, verdict.points_expected},
              {key::actual, verdict.points_actual},
              {key::consistent, verdict.points_consistent}}}};
}

json gate_json(const verify::GateResult& gate) {
    json result = {{key::gate, gate.gate},
                   {key::limit, gate.limit},
                   {key::actual, gate.actual},
                   {key::passed, gate.passed}};
    if (!gate.group.empty()) result[key::group] = gate.group;
    if (!gate.fault.empty()) result[key::fault] = gate.fault;
    if (gate.event >= 0) result[key::event] = gate.event;
    return result;
}

json to_json(const run::RunResult& result, const std::string& tool_version) {
    json verification = json::object();
    json histograms = {{key::xadd, result.xadd_latency->to_json()}, {key::groups, json::object()}};
    for (const auto& group : result.groups) {
        // An agent's part has no verdict: `merge` judges the whole run.
        if (!result.agent) verification[group.name] = verdict_json(group.verdict);
        if (group.external) continue;
        histograms[key::groups][group.name] = {
            {key::first_delivery, group.latency_first->to_json()},
            {key::recovered, group.latency_recovered->to_json()}};
    }
    json consumers = json::array();
    for (const auto& consumer : result.consumers) {
        consumers.push_back({{key::group, consumer.group},
                             {key::name, consumer.name},
                             {key::counters, counters_json(consumer.counters)}});
    }
    json gates = json::array();
    for (const auto& gate : result.gates) gates.push_back(gate_json(gate));
    return {
        {key::schema_version, schema_version},
        {key::tool, {{key::name, "streamharness"}, {key::version, tool_version}}},
        {key::run_id, result.run_id},
        {key::started_at, result.started_at},
        {key::workload, shown_workload(result.workload)},
        {key::environment, environment_json(result.environment)},
        {key::provenance, {{key::redis, redis_provenance_json(result.environment)}}},
        {key::summary, summary_json(result)},
        {key::verification, verification},
        {key::gates, gates},
        {key::timeline, timeline_json(result)},
        {key::events, events_json(result.events)},
        {key::chaos, chaos_json(result)},
        {key::replication, replication_json(result)},
        {key::cluster, cluster_json(result)},
        {key::consumers, consumers},
        {key::histograms, histograms},
        {key::error, result.error ? json{{key::message, result.error->message},
                                         {key::phase, result.error->phase}}
                                  : json(nullptr)},
        {key::verified, result.agent                    ? value::not_yet
                        : !result.merged_agents.empty() ? value::by_merge
                        : result.verified_after_the_run ? value::after_the_run
                                                        : value::during_the_run},
        {key::agent, result.agent ? agent_json(result) : json(nullptr)},
        {key::agents, merged_agents_json(result.merged_agents)},
        {key::verdict, result.error    ? value::error
                       : result.agent  ? value::partial
                       : result.passed ? value::pass
                                       : value::fail},
    };
}

std::filesystem::path write_report(const json& report, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    auto path = dir / "report.json";
    std::ofstream file(path);
    file << report.dump(2) << "\n";
    if (!file) throw EnvironmentError("cannot write " + path.string());
    return path;
}

}  // namespace sh::reports
