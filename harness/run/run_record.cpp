#include "harness/run/run_record.hpp"

#include <nlohmann/json.hpp>

#include "harness/errors.hpp"
#include "harness/model/keys.hpp"
#include "harness/workload/workload_json.hpp"

namespace sh::run {

using nlohmann::json;

json recorded_workload(const workload::Workload& workload) {
    auto document = workload::to_json(workload);
    for (auto& group : document["groups"]) {
        if (!group.contains("consumer") || !group["consumer"].is_object()) continue;
        for (auto& [name, value] : group["consumer"]["env"].items()) value = "(not kept)";
    }
    return document;
}

std::string consumer_env_digest(const workload::Workload& workload) {
    // FNV-1a: enough to tell two agents' values apart, and it keeps no secret readable.
    std::uint64_t digest = 14695981039346656037ULL;
    for (const auto& group : workload.groups) {
        if (!group.consumer) continue;
        for (const auto& [name, value] : group.consumer->env) {
            for (char c : group.name + ":" + name + "=" + value + ";") {
                digest = (digest ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
            }
        }
    }
    return std::to_string(digest);
}

void write_record(redis::Connection& connection, const RunRecord& record, bool first) {
    json document = {{"run_id", record.run_id},
                     {"started_at", record.started_at},
                     {"stamp", record.stamp},
                     {"workload", recorded_workload(record.workload)},
                     {"agents", record.agents},
                     {"consumer_env_digest", consumer_env_digest(record.workload)},
                     {"created",
                      {{"stream", record.created.stream},
                       {"groups", record.created.groups},
                       {"group_start_id", record.created.group_start_id}}},
                     {"load_finished", record.load_finished},
                     {"orders_allocated", record.orders_allocated},
                     {"orders_produced_ok", record.orders_produced_ok},
                     {"verdict", record.verdict}};
    auto key = model::RunKeys::record_key(record.run_id);
    redis::Args set{"SET", key, document.dump()};
    if (first) set.push_back("NX");
    auto reply = connection.command(set);
    if (first && redis::ReplyView(reply.get()).is_nil()) {
        throw EnvironmentError("key " + key +
                               " already exists: another run has this id, pick "
                               "another --run-id");
    }
}

std::optional<RunRecord> read_record(redis::Connection& connection, const std::string& run_id) {
    auto key = model::RunKeys::record_key(run_id);
    auto reply = connection.command({"GET", key});
    redis::ReplyView view(reply.get());
    if (view.is_nil()) return std::nullopt;
    try {
        auto document = json::parse(view.text());
        RunRecord record;
        record.run_id = document.at("run_id").get<std::string>();
        record.started_at = document.at("started_at").get<std::string>();
        record.stamp = document.at("stamp").get<std::string>();
        record.workload = workload::parse_workload(document.at("workload"));
        const auto& created = document.at("created");
        record.created.stream = created.at("stream").get<bool>();
        record.created.groups = created.at("groups").get<std::vector<std::string>>();
        record.created.group_start_id = created.at("group_start_id").get<std::string>();
        record.load_finished = document.at("load_finished").get<bool>();
        record.orders_allocated = document.at("orders_allocated").get<std::uint64_t>();
        record.orders_produced_ok = document.at("orders_produced_ok").get<std::uint64_t>();
        record.verdict = document.at("verdict").get<std::string>();
        record.agents = document.value("agents", 1);  // absent before agents existed
        record.consumer_env_digest = document.value("consumer_env_digest", "");
        if (record.run_id != run_id) throw std::invalid_argument("it names run " + record.run_id);
        return record;
    } catch (const std::exception& error) {
        throw EnvironmentError("the run record " + key + " is damaged: " + error.what());
    }
}

}  // namespace sh::run
