// RunResult → report.json: the one place that names the report's fields (see report_json.hpp).
#include "reports/report_json.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "harness/errors.hpp"
#include "harness/workload/workload_json.hpp"

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
    return {{"redis_version", environment.redis_version},
            {"redis", environment.redis},
            {"persistence", environment.persistence},
            {"maxmemory_policy", environment.maxmemory_policy},
            {"host_cores", environment.host_cores},
            {"stream_key", environment.stream_key},
            {"entry_stamp", environment.entry_stamp},
            {"stream_created", environment.stream_created},
            {"group_start_id", environment.group_start_id}};
}

json bottleneck_json(const run::Bottleneck& bottleneck) {
    if (!bottleneck.redis_cpu_busy) {
        return {{"steady_rows", bottleneck.steady_rows}, {"saturated", bottleneck.saturated}};
    }
    return {{"steady_rows", bottleneck.steady_rows},
            {"redis_cpu_busy", *bottleneck.redis_cpu_busy},
            {"harness_cpu_cores", optional_json(bottleneck.harness_cpu_cores)},
            {"harness_share_of_remaining_cores",
             optional_json(bottleneck.harness_share_of_remaining_cores)},
            {"host_cores", optional_json(bottleneck.host_cores)},
            {"saturated", bottleneck.saturated}};
}

json resident_json(const run::ResidentSpan& span) {
    return {{"after_warm_up", span.after_warm_up}, {"end", span.end}, {"max", span.max}};
}

json memory_json(const run::MemorySummary& memory) {
    if (memory.too_short) {
        return {{"steady_rows", memory.steady_rows},
                {"note", "run too short"},
                {"outcome_record_bytes", memory.outcome_record_bytes}};
    }
    return {{"steady_rows", memory.steady_rows},
            {"warm_up_s", memory.warm_up_s},
            {"supervisor_rss_mib", resident_json(memory.supervisor_rss_mib)},
            {"workers_private_mib", resident_json(memory.workers_private_mib)},
            {"supervisor_growth_mib", memory.supervisor_growth_mib},
            {"orders_after_warm_up", memory.orders_after_warm_up},
            {"supervisor_growth_bytes_per_order",
             optional_json(memory.supervisor_growth_bytes_per_order)},
            {"supervisor_growth_kib_per_s", memory.supervisor_growth_kib_per_s},
            {"outcome_record_bytes", memory.outcome_record_bytes}};
}

json max_rate_json(const std::optional<run::MaxRateSummary>& max_rate) {
    if (!max_rate) return nullptr;
    json steps = json::array();
    for (const auto& step : max_rate->steps) {
        steps.push_back({{"t_s", step.t_s},
                         {"rate", step.rate},
                         {"backlog", step.backlog},
                         {"producer_behind_ms", step.producer_behind_ms}});
    }
    return {{"sustained_orders_per_s", max_rate->sustained_orders_per_s},
            {"final_rate", max_rate->final_rate},
            {"raises", max_rate->raises},
            {"cuts", max_rate->cuts},
            {"backlog_bound", max_rate->backlog_bound},
            {"steps", steps}};
}

json group_summary(const run::GroupResult& group) {
    return {{"applied", group.verdict.applied},
            {"dead_lettered", group.verdict.dead_lettered},
            {"applied_per_s", group.applied_per_s},
            {"counters", counters_json(group.counters)},
            {"latency",
             {{"end_to_end", latency_json(group.latency_all->summary())},
              {"first_delivery", latency_json(group.latency_first->summary())},
              {"recovered", latency_json(group.latency_recovered->summary())}}}};
}

json produced_json(const run::RunResult& result) {
    auto ok_per_s =
        result.producing_s > 0 ? static_cast<double>(result.produced_ok) / result.producing_s : 0.0;
    return {{"allocated", result.orders_allocated},
            {"ok", result.produced_ok},
            {"failed", result.produced_failed},
            {"indeterminate", result.produced_indeterminate},
            {"indeterminate_resolved",
             {{"recovered", result.indeterminate.recovered.size()},
              {"unknown", result.indeterminate.unknown}}},
            {"reconnects", result.producer_reconnects},
            {"producing_s", result.producing_s},
            {"ok_per_s", ok_per_s}};
}

json summary_json(const run::RunResult& result) {
    json groups = json::object();
    for (const auto& group : result.groups) groups[group.name] = group_summary(group);
    json per_producer = json::array();
    for (const auto& latency : result.xadd_latency_per_producer) {
        per_producer.push_back(latency_json(latency->summary()));
    }
    return {{"produced", produced_json(result)},
            {"xadd_latency", latency_json(result.xadd_latency->summary())},
            {"xadd_latency_per_producer", per_producer},
            {"bottleneck", bottleneck_json(result.bottleneck)},
            {"memory", memory_json(result.memory)},
            {"max_rate", max_rate_json(result.max_rate)},
            {"drain", {{"drained", result.drained}, {"seconds", result.drain_s}}},
            {"final_stop",
             {{"grace_s", result.final_stop.grace_s}, {"killed", result.final_stop.killed}}},
            {"evicted_keys", result.evicted_keys},
            {"cleanup", {{"not_removed", result.cleanup_notes}}},
            {"retention",
             {{"mode", workload::to_json(result.workload)["stream"]["retention"]["mode"]},
              {"trimmed", result.retention_trimmed}}},
            {"groups", groups}};
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
    put("skipped", facts.skipped);
    put("window", facts.window);
    put("aimed", facts.aimed);
    put("pending", facts.pending);
    put("pending_before", facts.pending_before);
    put("pending_after", facts.pending_after);
    put("in_flight", facts.in_flight);
    put("applied_unacked", facts.applied_unacked);
    put("acked_unapplied", facts.acked_unapplied);
    put("duration_ms", facts.duration_ms);
    put("service_us", facts.service_us);
    put("connections_killed", facts.connections_killed);
    put("exit", facts.exit);
    put("timed_out", facts.timed_out);
    if (facts.restarted_as) data["restarted_as"] = optional_json(*facts.restarted_as);
    put("recovery_ms", facts.recovery_ms);
    put("unrecovered", facts.unrecovered);
    put("hard", facts.hard);
    put("persistence", facts.persistence);
    put("restart_ms", facts.restart_ms);
    put("order_watermark", facts.order_watermark);
    return data;
}

json events_json(const std::vector<run::TimelineEvent>& events) {
    json list = json::array();
    for (const auto& event : events) {
        auto entry = facts_json(event.facts);
        entry["at_s"] = event.at_s;
        entry["kind"] = event.kind;
        entry["target"] = event.target;
        if (!event.detail.empty()) entry["detail"] = event.detail;
        list.push_back(std::move(entry));
    }
    return list;
}

json landing_counts(std::uint64_t scheduled, std::uint64_t landed, std::uint64_t skipped) {
    // Faults due after the producers stopped never came due.
    return {{"scheduled", scheduled},
            {"landed", landed},
            {"skipped", skipped},
            {"not_reached", scheduled - std::min(scheduled, landed + skipped)}};
}

json chaos_json(const run::RunResult& result) {
    if (!result.chaos) return json::object();
    const auto& chaos = *result.chaos;
    json schedule = json::array();
    for (const auto& fault : chaos.schedule) {
        schedule.push_back(
            {{"at_s", fault.at_s}, {"fault", fault.fault}, {"target", fault.target}});
    }
    // Per event, and summed per kind for people; the gates judge each event.
    json landing = json::object();
    json per_event = json::array();
    std::map<std::string, verify::FaultTally> per_kind;
    for (const auto& tally : result.faults) {
        auto counts = landing_counts(tally.scheduled, tally.landed, tally.skipped);
        per_event.push_back(counts);
        per_event.back()["event"] = tally.event;
        per_event.back()["fault"] = tally.kind;
        per_event.back()["target"] = tally.target;
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
    return {{"schedule", schedule},
            {"summary",
             {{"faults", faults},
              {"landing", landing},
              {"landing_per_event", per_event},
              {"kills_with_pending", chaos.kills_with_pending},
              {"recovered", chaos.recovered},
              {"unrecovered", chaos.unrecovered},
              {"recovery_ms", {{"p50", chaos.recovery_p50_ms}, {"max", chaos.recovery_max_ms}}}}}};
}

}  // namespace

json latency_json(const measure::LatencySummary& summary) {
    auto ms = [](std::uint64_t us) { return static_cast<double>(us) / 1000.0; };
    return {{"count", summary.count},       {"mean_ms", summary.mean_us / 1000.0},
            {"p50_ms", ms(summary.p50_us)}, {"p90_ms", ms(summary.p90_us)},
            {"p99_ms", ms(summary.p99_us)}, {"p99_9_ms", ms(summary.p99_9_us)},
            {"max_ms", ms(summary.max_us)}};
}

json timeline_row_json(const run::TimelineRow& row, const std::vector<std::string>& group_names) {
    json groups = json::object();
    for (std::size_t g = 0; g < row.groups.size() && g < group_names.size(); ++g) {
        const auto& group = row.groups[g];
        json entry = {{"applied", group.applied},
                      {"applied_per_s", static_cast<double>(group.applied) / row.span_s},
                      {"p50_ms", group.p50_ms},
                      {"p99_ms", group.p99_ms}};
        if (group.pending) {
            entry["pending"] = *group.pending;
            entry["lag"] = optional_json(group.lag);
        }
        groups[group_names[g]] = std::move(entry);
    }
    return {
        {"t_s", row.t_s},
        {"span_s", row.span_s},
        {"phase", row.load ? "load" : "drain"},
        {"produced", row.produced},
        {"produced_per_s", static_cast<double>(row.produced) / row.span_s},
        {"groups", groups},
        {"redis_cpu", row.redis_cpu},
        {"harness_cpu", row.harness_cpu},
        {"supervisor_rss_mib", row.supervisor_rss_mib},
        {"workers_private_mib", row.workers_private_mib},
        {"redis_memory_bytes", row.redis_memory_bytes},
        {"stream_length", row.stream_length},
        {"faults", row.faults},
    };
}

json verdict_json(const verify::GroupVerdict& verdict) {
    return {{"group", verdict.group},
            {"produced_ok", verdict.produced_ok},
            {"recovered", verdict.recovered},
            {"applied", verdict.applied},
            {"applied_ok", verdict.applied_ok},
            {"applied_indeterminate", verdict.applied_indeterminate},
            {"lost", verdict.lost},
            {"lost_recovered", verdict.lost_recovered},
            {"lost_sample", verdict.lost_sample},
            {"lost_by_restart", verdict.lost_by_restart},
            {"lost_unattributed", verdict.lost_unattributed},
            {"duplicated", verdict.duplicated},
            {"extra_applications", verdict.extra_applications},
            {"duplicated_sample", verdict.duplicated_sample},
            {"unexpected", verdict.unexpected},
            {"dead_lettered", verdict.dead_lettered},
            {"dead_lettered_poison", verdict.dead_lettered_poison},
            {"dead_lettered_healthy", verdict.dead_lettered_healthy},
            {"applied_and_dead_lettered", verdict.applied_and_dead_lettered},
            {"dead_lettered_unattributed", verdict.dead_lettered_unattributed},
            {"dead_letter_reasons", verdict.dead_letter_reasons},
            {"poison_not_dead_lettered", verdict.poison_not_dead_lettered},
            {"poison_applied", verdict.poison_applied},
            {"pending_left", verdict.pending_left},
            {"lag_left", verdict.lag_left},
            {"shares", verdict.shares},
            {"points",
             {{"checked", verdict.points_checked},
              {"expected", verdict.points_expected},
              {"actual", verdict.points_actual},
              {"consistent", verdict.points_consistent}}}};
}

json gate_json(const verify::GateResult& gate) {
    json result = {{"gate", gate.gate},
                   {"limit", gate.limit},
                   {"actual", gate.actual},
                   {"passed", gate.passed}};
    if (!gate.group.empty()) result["group"] = gate.group;
    if (!gate.fault.empty()) result["fault"] = gate.fault;
    if (gate.event >= 0) result["event"] = gate.event;
    return result;
}

json to_json(const run::RunResult& result, const std::string& tool_version) {
    json verification = json::object();
    json histograms = {{"xadd", result.xadd_latency->to_json()}, {"groups", json::object()}};
    for (const auto& group : result.groups) {
        verification[group.name] = verdict_json(group.verdict);
        histograms["groups"][group.name] = {{"first_delivery", group.latency_first->to_json()},
                                            {"recovered", group.latency_recovered->to_json()}};
    }
    json consumers = json::array();
    for (const auto& consumer : result.consumers) {
        consumers.push_back({{"group", consumer.group},
                             {"name", consumer.name},
                             {"counters", counters_json(consumer.counters)}});
    }
    json gates = json::array();
    for (const auto& gate : result.gates) gates.push_back(gate_json(gate));
    return {
        {"schema_version", schema_version},
        {"tool", {{"name", "streamharness"}, {"version", tool_version}}},
        {"run_id", result.run_id},
        {"started_at", result.started_at},
        {"workload", workload::to_json(result.workload)},
        {"environment", environment_json(result.environment)},
        {"summary", summary_json(result)},
        {"verification", verification},
        {"gates", gates},
        {"timeline", timeline_json(result)},
        {"events", events_json(result.events)},
        {"chaos", chaos_json(result)},
        {"consumers", consumers},
        {"histograms", histograms},
        {"verdict", result.passed ? "pass" : "fail"},
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
