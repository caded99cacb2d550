#include "harness/workload/workload_json.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/errors.hpp"
#include "harness/workload/object_reader.hpp"
#include "harness/workload/replication_json.hpp"
#include "harness/workload/workload_checks.hpp"

namespace sh::workload {

using nlohmann::json;

const char* to_string(FaultKind fault) {
    switch (fault) {
        case FaultKind::kill:
            return "kill";
        case FaultKind::pause:
            return "pause";
        case FaultKind::disconnect:
            return "disconnect";
        case FaultKind::stop:
            return "stop";
        case FaultKind::slow:
            return "slow";
        case FaultKind::redis_restart:
            return "redis-restart";
        case FaultKind::failover:
            return "failover";
        case FaultKind::primary_kill:
            return "primary-kill";
        case FaultKind::replica_stall:
            return "replica-stall";
        case FaultKind::cluster_failover:
            return "cluster-failover";
        case FaultKind::slot_migration:
            return "slot-migration";
        case FaultKind::node_kill:
            return "node-kill";
    }
    return "?";
}

const char* to_string(AckMode mode) {
    switch (mode) {
        case AckMode::atomic:
            return "atomic";
        case AckMode::after:
            return "after";
        case AckMode::before:
            return "before";
    }
    return "?";
}

namespace {

const Choices<Persistence> persistence_names = [] {
    Choices<Persistence> choices;
    for (const auto& [name, value] : redis::persistence_names) choices.emplace_back(name, value);
    return choices;
}();
const Choices<Arrival> arrival_names{{"constant", Arrival::constant},
                                     {"poisson", Arrival::poisson}};
const Choices<AckMode> ack_names{
    {"atomic", AckMode::atomic}, {"after", AckMode::after}, {"before", AckMode::before}};
const Choices<Effect> effect_names{{"points", Effect::points}, {"none", Effect::none}};
const Choices<ConsumerNaming> naming_names{{"unique", ConsumerNaming::unique},
                                           {"shared", ConsumerNaming::shared}};
const Choices<ServiceDistribution> distribution_names{
    {"constant", ServiceDistribution::constant},
    {"uniform", ServiceDistribution::uniform},
    {"exponential", ServiceDistribution::exponential}};
const Choices<RestartPolicy> restart_names{{"same-name", RestartPolicy::same_name},
                                           {"new-name", RestartPolicy::new_name},
                                           {"never", RestartPolicy::never}};
const Choices<FaultKind> fault_names{{"kill", FaultKind::kill},
                                     {"pause", FaultKind::pause},
                                     {"disconnect", FaultKind::disconnect},
                                     {"stop", FaultKind::stop},
                                     {"slow", FaultKind::slow},
                                     {"redis-restart", FaultKind::redis_restart},
                                     {"failover", FaultKind::failover},
                                     {"primary-kill", FaultKind::primary_kill},
                                     {"replica-stall", FaultKind::replica_stall},
                                     {"cluster-failover", FaultKind::cluster_failover},
                                     {"slot-migration", FaultKind::slot_migration},
                                     {"node-kill", FaultKind::node_kill}};
// The same choices, spelled "none" for a fault's target.
const Choices<RestartPolicy> fault_restart_names{{"same-name", RestartPolicy::same_name},
                                                 {"new-name", RestartPolicy::new_name},
                                                 {"none", RestartPolicy::never}};
// "any" is the absence of a window: the fault lands wherever the target is.
const Choices<int> window_names{
    {"any", -1},
    {"reading", static_cast<int>(model::ConsumerWindow::reading)},
    {"processing", static_cast<int>(model::ConsumerWindow::processing)},
    {"applied-unacked", static_cast<int>(model::ConsumerWindow::applied_unacked)},
    {"acked-unapplied", static_cast<int>(model::ConsumerWindow::acked_unapplied)},
    {"idle", static_cast<int>(model::ConsumerWindow::idle)}};
const Choices<RetentionMode> retention_names{
    {"off", RetentionMode::off}, {"safe", RetentionMode::safe}, {"unsafe", RetentionMode::unsafe}};

constexpr std::int64_t max_count = 1'000'000'000;

void read_retention(ObjectReader& reader, Retention& retention) {
    reader.choice("mode", retention.mode, retention_names);
    reader.integer("max_len", retention.max_len, 1, max_count);
    reader.integer("interval_ms", retention.interval_ms, 10, 3'600'000);
}

void read_stream(ObjectReader& reader, StreamSpec& stream) {
    reader.text("name", stream.name, true);
    reader.text("key", stream.key, false);
    reader.integer("payload_bytes", stream.payload_bytes, 0, 1 << 20);
    reader.integer("shards", stream.shards, 1, 1024);
    reader.object("retention", [&](ObjectReader& sub) { read_retention(sub, stream.retention); });
}

void read_producers(ObjectReader& reader, ProducerSpec& producers) {
    reader.integer("count", producers.count, 1, 256);
    reader.number("rate", producers.rate, 0, 10'000'000);
    producers.mode = producers.rate == 0 ? RateMode::max : RateMode::fixed;
    reader.choice("arrival", producers.arrival, arrival_names);
    reader.integer("orders", producers.orders, 0, max_count);
    reader.integer("pipeline", producers.pipeline, 1, 10000);
    reader.number("poison_ratio", producers.poison_ratio, 0, 1);
    reader.integer("users", producers.users, 1, max_count);
    reader.object("wait", [&](ObjectReader& sub) { read_wait(sub, producers.wait); });
}

void read_claim(ObjectReader& reader, ClaimSpec& claim) {
    reader.boolean("enabled", claim.enabled);
    reader.integer("interval_ms", claim.interval_ms, 1, 3'600'000);
    reader.integer("min_idle_ms", claim.min_idle_ms, 1, 86'400'000);
    reader.integer("max_deliveries", claim.max_deliveries, 0, 1'000'000);
    reader.integer("count", claim.count, 1, 100000);
}

void read_group(ObjectReader& reader, GroupSpec& group) {
    reader.text("name", group.name, true);
    reader.integer("consumers", group.consumers, 1, 1024);
    reader.choice("ack", group.ack, ack_names);
    reader.boolean("dedupe", group.dedupe);
    reader.choice("effect", group.effect, effect_names);
    reader.integer("batch", group.batch, 1, 100000);
    reader.integer("block_ms", group.block_ms, 1, 60000);
    reader.integer("sleep_after_batch_ms", group.sleep_after_batch_ms, 0, 3'600'000);
    reader.object("service_time", [&](ObjectReader& sub) {
        sub.choice("distribution", group.service_time.distribution, distribution_names);
        sub.integer("mean_us", group.service_time.mean_us, 0, 60'000'000);
    });
    reader.number("fail_ratio", group.fail_ratio, 0, 1);
    reader.choice("naming", group.naming, naming_names);
    reader.object("claim", [&](ObjectReader& sub) { read_claim(sub, group.claim); });
    reader.object("dead_letter", [&](ObjectReader& sub) {
        sub.boolean("delete", group.dead_letter.delete_entry);
    });
    reader.boolean("remove_idle_consumers", group.remove_idle_consumers);
    reader.choice("restart", group.restart, restart_names);
    reader.boolean("replay_pending", group.replay_pending);
    reader.choice("effect_store", group.effect_store, effect_store_names);
    reader.object("ack_wait", [&](ObjectReader& sub) { read_wait(sub, group.ack_wait); });
    reader.object("consumer", [&](ObjectReader& sub) {
        auto& consumer = group.consumer.emplace();
        sub.text_list("command", consumer.command, true);
        sub.text("cwd", consumer.cwd, false);
        sub.text_map("env", consumer.env);
        sub.number("start_timeout_s", consumer.start_timeout_s, 0.1, 3600);
        sub.number("stop_timeout_s", consumer.stop_timeout_s, 0.1, 3600);
    });
}

void read_fault(ObjectReader& reader, FaultEvent& event) {
    reader.choice("fault", event.fault, fault_names);
    reader.text("target", event.target, true);
    reader.optional_number("at_s", event.at_s, 0, 7 * 86400);
    reader.optional_number("every_s", event.every_s, 0.01, 7 * 86400);
    reader.number("start_s", event.start_s, 0, 7 * 86400);
    reader.number("until_s", event.until_s, 0, 7 * 86400);
    reader.number("jitter_s", event.jitter_s, 0, 86400);
    reader.integer("duration_ms", event.duration_ms, 1, 3'600'000);
    reader.integer("service_us", event.service_us, 0, 60'000'000);
    reader.choice("restart", event.restart, fault_restart_names);
    reader.boolean("hard", event.hard);
    reader.choice("mode", event.mode, cluster_failover_names);
    int window = event.window ? static_cast<int>(*event.window) : -1;
    reader.choice("window", window, window_names);
    event.window = model::window_from_int(window);
}

std::string window_name(const std::optional<model::ConsumerWindow>& window) {
    return window ? std::string(model::to_string(*window)) : "any";
}

void read_gates(ObjectReader& reader, Gates& gates) {
    reader.optional_integer("max_lost", gates.max_lost, 0, max_count);
    reader.optional_integer("max_duplicated", gates.max_duplicated, 0, max_count);
    reader.optional_integer("max_unexpected", gates.max_unexpected, 0, max_count);
    reader.optional_integer("max_pending_left", gates.max_pending_left, 0, max_count);
    reader.optional_integer("max_lag_left", gates.max_lag_left, 0, max_count);
    reader.optional_integer("max_dead_lettered_healthy", gates.max_dead_lettered_healthy, 0,
                            max_count);
    reader.optional_integer("max_applied_and_dead_lettered", gates.max_applied_and_dead_lettered, 0,
                            max_count);
    reader.optional_integer("max_duplicated_without_hard_kill",
                            gates.max_duplicated_without_hard_kill, 0, max_count);
    reader.optional_integer("max_stuck", gates.max_stuck, 0, max_count);
    reader.boolean("points_consistent", gates.points_consistent);
    reader.boolean("poison_dead_lettered", gates.poison_dead_lettered);
    reader.optional_number("max_p99_ms", gates.max_p99_ms, 0, 3'600'000);
    reader.optional_number("min_applied_per_s", gates.min_applied_per_s, 0, 1e9);
    reader.integer("min_produced_ok", gates.min_produced_ok, 1, max_count);
    reader.optional_integer("max_produce_failed", gates.max_produce_failed, 0, max_count);
    reader.optional_integer("max_produce_indeterminate", gates.max_produce_indeterminate, 0,
                            max_count);
    reader.optional_integer("max_evicted_keys", gates.max_evicted_keys, 0, max_count);
    reader.optional_integer("min_faults_landed", gates.min_faults_landed, 0, max_count);
    reader.optional_number("min_faults_landed_ratio", gates.min_faults_landed_ratio, 0, 1);
    read_replication_gates(reader, gates);
}

// A workload is JSON, which is UTF-8: other bytes would pass validation and fail only when the
// report is written, after the run.
void require_utf8(const std::string& assignment) {
    try {
        (void)json(assignment).dump();
    } catch (const json::type_error&) {
        auto shown = json(assignment).dump(-1, ' ', false, json::error_handler_t::replace);
        throw WorkloadError({"--set " + shown + ": not valid UTF-8"});
    }
}

void apply_override(json& document, const std::string& assignment) {
    require_utf8(assignment);
    auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0) {
        throw WorkloadError({"--set " + assignment + ": expected path=value"});
    }
    auto path = assignment.substr(0, equals);
    auto text = assignment.substr(equals + 1);
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) value = text;  // a bare word such as after or aof-always

    json* node = &document;
    std::istringstream segments(path);
    std::string segment;
    std::string walked;
    while (std::getline(segments, segment, '.')) {
        walked += walked.empty() ? segment : "." + segment;
        if (node->is_array()) {
            std::size_t index = 0;
            auto [end, ec] =
                std::from_chars(segment.data(), segment.data() + segment.size(), index);
            // The whole segment: "1x" is not element 1.
            if (ec != std::errc{} || end != segment.data() + segment.size()) {
                throw WorkloadError({"--set " + walked + ": expected an array index"});
            }
            if (index >= node->size()) {
                throw WorkloadError({"--set " + walked + ": no such element (array has " +
                                     std::to_string(node->size()) + ")"});
            }
            node = &(*node)[index];
        } else if (node->is_object() || node->is_null()) {
            node = &(*node)[segment];
        } else {
            throw WorkloadError({"--set " + walked + ": parent is not an object"});
        }
    }
    *node = std::move(value);
}

}  // namespace

namespace {
// The heading of input that is not a workload at all, as opposed to a workload with mistakes.
constexpr const char* not_a_workload = "not a workload file";
}  // namespace

Workload parse_workload(json document, const std::vector<std::string>& overrides) {
    for (const auto& assignment : overrides) apply_override(document, assignment);
    Problems problems;
    Workload workload;
    if (!document.is_object()) {
        throw WorkloadError({"(document): a workload is a JSON object (name, producers, groups, "
                             "...), not a JSON " +
                             std::string(document.type_name())},
                            not_a_workload);
    }
    ObjectReader reader(document, "", problems);
    reader.text("name", workload.name, true);
    reader.number("duration_s", workload.duration_s, 0, 7 * 86400);
    reader.choice("persistence", workload.persistence, persistence_names);
    reader.object("topology", [&](ObjectReader& sub) { read_topology(sub, workload.topology); });
    reader.unsigned_integer("seed", workload.seed);
    reader.number("drain_timeout_s", workload.drain_timeout_s, 0.1, 86400);
    reader.object("stream", [&](ObjectReader& sub) { read_stream(sub, workload.stream); });
    reader.object("producers", [&](ObjectReader& sub) { read_producers(sub, workload.producers); });
    reader.array("groups", [&](ObjectReader& sub) {
        workload.groups.emplace_back();
        read_group(sub, workload.groups.back());
    });
    reader.object("chaos", [&](ObjectReader& sub) {
        sub.unsigned_integer("seed", workload.chaos.seed);
        sub.array("events", [&](ObjectReader& event) {
            workload.chaos.events.emplace_back();
            read_fault(event, workload.chaos.events.back());
        });
    });
    reader.object("gates", [&](ObjectReader& sub) { read_gates(sub, workload.gates); });
    reader.finish();
    if (problems.empty()) check_consistency(workload, problems);
    if (!problems.empty()) throw WorkloadError(problems.take());
    return workload;
}

Workload load_workload(const std::filesystem::path& path,
                       const std::vector<std::string>& overrides) {
    std::ifstream file(path);
    if (!file) {
        throw WorkloadError({path.string() + ": cannot open it: " + std::strerror(errno)},
                            not_a_workload);
    }
    std::stringstream content;
    content << file.rdbuf();
    Workload workload;
    try {
        workload = parse_workload(json::parse(content.str()), overrides);
    } catch (const json::parse_error& error) {
        // "[json.exception.parse_error.101] parse error at line 1, column 1: ..." -> from "line".
        std::string reason = error.what();
        auto at = reason.find("at line");
        throw WorkloadError({path.string() + ": not JSON (" +
                             (at == std::string::npos ? reason : reason.substr(at + 3)) + ")"},
                            not_a_workload);
    }
    // An external consumer runs in the workload file's folder (or one relative to it), so the
    // file works from wherever the harness is started.
    auto folder = std::filesystem::absolute(path).parent_path();
    for (auto& group : workload.groups) {
        if (group.consumer) {
            auto cwd = (folder / group.consumer->cwd).lexically_normal();
            group.consumer->cwd = (cwd.has_filename() ? cwd : cwd.parent_path()).string();
        }
    }
    return workload;
}

namespace {
template <typename T>
json optional_json(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}
}  // namespace

json to_json(const Workload& workload) {
    json groups = json::array();
    for (const auto& group : workload.groups) {
        groups.push_back({
            {"name", group.name},
            {"consumers", group.consumers},
            {"ack", name_of(ack_names, group.ack)},
            {"dedupe", group.dedupe},
            {"effect", name_of(effect_names, group.effect)},
            {"batch", group.batch},
            {"block_ms", group.block_ms},
            {"sleep_after_batch_ms", group.sleep_after_batch_ms},
            {"service_time",
             {{"distribution", name_of(distribution_names, group.service_time.distribution)},
              {"mean_us", group.service_time.mean_us}}},
            {"fail_ratio", group.fail_ratio},
            {"naming", name_of(naming_names, group.naming)},
            {"claim",
             {{"enabled", group.claim.enabled},
              {"interval_ms", group.claim.interval_ms},
              {"min_idle_ms", group.claim.min_idle_ms},
              {"max_deliveries", group.claim.max_deliveries},
              {"count", group.claim.count}}},
            {"dead_letter", {{"delete", group.dead_letter.delete_entry}}},
            {"remove_idle_consumers", group.remove_idle_consumers},
            {"restart", name_of(restart_names, group.restart)},
            {"replay_pending", group.replay_pending},
            {"effect_store", name_of(effect_store_names, group.effect_store)},
            {"ack_wait", to_json(group.ack_wait)},
        });
        if (group.consumer) {
            const auto& consumer = *group.consumer;
            groups.back()["consumer"] = {{"command", consumer.command},
                                         {"cwd", consumer.cwd},
                                         {"env", consumer.env},
                                         {"start_timeout_s", consumer.start_timeout_s},
                                         {"stop_timeout_s", consumer.stop_timeout_s}};
        }
    }
    json events = json::array();
    for (const auto& event : workload.chaos.events) {
        events.push_back({{"fault", name_of(fault_names, event.fault)},
                          {"target", event.target},
                          {"at_s", optional_json(event.at_s)},
                          {"every_s", optional_json(event.every_s)},
                          {"start_s", event.start_s},
                          {"until_s", event.until_s},
                          {"jitter_s", event.jitter_s},
                          {"duration_ms", event.duration_ms},
                          {"service_us", event.service_us},
                          {"mode", name_of(cluster_failover_names, event.mode)},
                          {"restart", name_of(fault_restart_names, event.restart)},
                          {"hard", event.hard},
                          {"window", window_name(event.window)}});
    }
    const auto& gates = workload.gates;
    json document = {
        {"name", workload.name},
        {"duration_s", workload.duration_s},
        {"persistence", name_of(persistence_names, workload.persistence)},
        {"topology", to_json(workload.topology)},
        {"seed", workload.seed},
        {"drain_timeout_s", workload.drain_timeout_s},
        {"stream",
         {{"name", workload.stream.name},
          {"key", workload.stream.key},
          {"payload_bytes", workload.stream.payload_bytes},
          {"shards", workload.stream.shards},
          {"retention",
           {{"mode", name_of(retention_names, workload.stream.retention.mode)},
            {"max_len", workload.stream.retention.max_len},
            {"interval_ms", workload.stream.retention.interval_ms}}}}},
        {"producers",
         {{"count", workload.producers.count},
          {"rate", workload.producers.mode == RateMode::max ? 0.0 : workload.producers.rate},
          {"arrival", name_of(arrival_names, workload.producers.arrival)},
          {"orders", workload.producers.orders},
          {"pipeline", workload.producers.pipeline},
          {"poison_ratio", workload.producers.poison_ratio},
          {"users", workload.producers.users},
          {"wait", to_json(workload.producers.wait)}}},
        {"groups", groups},
        {"chaos", {{"seed", workload.chaos.seed}, {"events", events}}},
        {"gates",
         {{"max_lost", optional_json(gates.max_lost)},
          {"max_duplicated", optional_json(gates.max_duplicated)},
          {"max_unexpected", optional_json(gates.max_unexpected)},
          {"max_pending_left", optional_json(gates.max_pending_left)},
          {"max_lag_left", optional_json(gates.max_lag_left)},
          {"max_dead_lettered_healthy", optional_json(gates.max_dead_lettered_healthy)},
          {"max_applied_and_dead_lettered", optional_json(gates.max_applied_and_dead_lettered)},
          {"max_duplicated_without_hard_kill",
           optional_json(gates.max_duplicated_without_hard_kill)},
          {"max_stuck", optional_json(gates.max_stuck)},
          {"points_consistent", gates.points_consistent},
          {"poison_dead_lettered", gates.poison_dead_lettered},
          {"max_p99_ms", optional_json(gates.max_p99_ms)},
          {"min_applied_per_s", optional_json(gates.min_applied_per_s)},
          {"min_produced_ok", gates.min_produced_ok},
          {"max_produce_failed", optional_json(gates.max_produce_failed)},
          {"max_produce_indeterminate", optional_json(gates.max_produce_indeterminate)},
          {"max_evicted_keys", optional_json(gates.max_evicted_keys)},
          {"min_faults_landed", optional_json(gates.min_faults_landed)},
          {"min_faults_landed_ratio", optional_json(gates.min_faults_landed_ratio)}}},
    };
    add_replication_gates(document["gates"], gates);
    return document;
}

}  // namespace sh::workload
