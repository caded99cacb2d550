#include "tests/support/run_inspection.hpp"

#include "harness/redis/reply.hpp"

namespace sh::testing {

using nlohmann::json;

std::string run_key(const std::string& run_id, const std::string& suffix,
                    const std::string& stream) {
    return "sh:{" + run_id + ":" + stream + ":0}:" + suffix;
}

std::vector<std::string> keys_of_run(redis::Connection& connection, const std::string& run_id) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
        auto reply = connection.command(
            {"SCAN", cursor, "MATCH", "sh:{" + run_id + "[:}]*", "COUNT", "1000"});
        redis::ReplyView view(reply.get());
        cursor = std::string(view.element(0).text());
        for (std::size_t i = 0; i < view.element(1).size(); ++i) {
            keys.emplace_back(view.element(1).element(i).text());
        }
    } while (cursor != "0");
    return keys;
}

void delete_keys(redis::Connection& connection, const std::vector<std::string>& keys) {
    if (keys.empty()) return;
    redis::Args unlink{"UNLINK"};
    unlink.insert(unlink.end(), keys.begin(), keys.end());
    connection.command(unlink);
}

std::vector<redis::StreamEntry> whole_stream(redis::Connection& connection,
                                             const std::string& key) {
    auto reply = connection.command({"XRANGE", key, "-", "+"});
    return redis::parse_entries(redis::ReplyView(reply.get()));
}

const json* find_gate(const json& report, const std::string& gate, const std::string& scope) {
    for (const auto& entry : report["gates"]) {
        if (entry["gate"] != gate) continue;
        if (!scope.empty() && entry.value("group", "") != scope &&
            entry.value("fault", "") != scope)
            continue;
        return &entry;
    }
    return nullptr;
}

std::vector<json> events_of(const json& report, const std::string& kind) {
    std::vector<json> found;
    for (const auto& event : report["events"]) {
        if (event["kind"] == kind && !event.contains("skipped")) found.push_back(event);
    }
    return found;
}

}  // namespace sh::testing
