#include "reports/json_report.hpp"

#include <fstream>
#include <iomanip>
#include <sstream>

#include "harness/errors.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

json group_summary(const run::GroupResult& group) {
    return {{"applied", group.verdict.applied},
            {"dead_lettered", group.verdict.dead_lettered},
            {"applied_per_s", group.applied_per_s},
            {"counters", group.counters},
            {"latency",
             {{"end_to_end", group.latency_all->summary_ms()},
              {"first_delivery", group.latency_first->summary_ms()},
              {"recovered", group.latency_recovered->summary_ms()}}}};
}

}  // namespace

json build_report(const run::RunResult& result, const std::string& tool_version) {
    json groups = json::object();
    json verification = json::object();
    json histograms = {{"xadd", result.xadd_latency->to_json()}, {"groups", json::object()}};
    for (const auto& group : result.groups) {
        groups[group.name] = group_summary(group);
        verification[group.name] = group.verdict.to_json();
        histograms["groups"][group.name] = {{"first_delivery", group.latency_first->to_json()},
                                            {"recovered", group.latency_recovered->to_json()}};
    }
    json consumers = json::array();
    for (const auto& consumer : result.consumers) {
        consumers.push_back(
            {{"group", consumer.group}, {"name", consumer.name}, {"counters", consumer.counters}});
    }
    json events = json::array();
    for (const auto& event : result.events) {
        auto entry = event.data;
        entry["at_s"] = event.at_s;
        entry["kind"] = event.kind;
        entry["target"] = event.target;
        if (!event.detail.empty()) entry["detail"] = event.detail;
        events.push_back(std::move(entry));
    }
    json gates = json::array();
    for (const auto& gate : result.gates) gates.push_back(gate.to_json());
    auto produced_per_s =
        result.producing_s > 0 ? static_cast<double>(result.produced_ok) / result.producing_s : 0.0;
    return {
        {"schema_version", schema_version},
        {"tool", {{"name", "streamharness"}, {"version", tool_version}}},
        {"run_id", result.run_id},
        {"started_at", result.started_at},
        {"workload", result.workload},
        {"environment", result.environment},
        {"summary",
         {{"produced",
           {{"allocated", result.orders_allocated},
            {"ok", result.produced_ok},
            {"failed", result.produced_failed},
            {"indeterminate", result.produced_indeterminate},
            {"indeterminate_resolved", result.indeterminate.to_json()},
            {"reconnects", result.producer_reconnects},
            {"producing_s", result.producing_s},
            {"ok_per_s", produced_per_s}}},
          {"xadd_latency", result.xadd_latency->summary_ms()},
          {"xadd_latency_per_producer", result.xadd_latency_per_producer},
          {"bottleneck", result.bottleneck},
          {"memory", result.memory},
          {"max_rate", result.max_rate},
          {"drain", {{"drained", result.drained}, {"seconds", result.drain_s}}},
          {"final_stop",
           {{"grace_s", result.final_stop.grace_s}, {"killed", result.final_stop.killed}}},
          {"evicted_keys", result.evicted_keys},
          {"cleanup", {{"not_removed", result.cleanup_notes}}},
          {"retention",
           {{"mode", result.workload["stream"]["retention"]["mode"]},
            {"trimmed", result.retention_trimmed}}},
          {"groups", groups}}},
        {"verification", verification},
        {"gates", gates},
        {"timeline", result.timeline},
        {"events", events},
        {"chaos", result.chaos},
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

std::string gate_scope(const json& gate) {
    if (gate.contains("group") && gate["group"].is_string())
        return gate["group"].get<std::string>();
    if (!gate.contains("fault") || !gate["fault"].is_string()) return "";
    auto event = gate.value("event", json());
    return (event.is_number() ? "chaos.events." + event.dump() + " " : std::string()) +
           gate["fault"].get<std::string>();
}

std::string human_summary(const json& report, const std::filesystem::path& path) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(2);
    const auto& produced = report["summary"]["produced"];
    text << "run " << report["run_id"].get<std::string>() << ": produced "
         << produced["ok"].get<std::uint64_t>() << " ok, "
         << produced["failed"].get<std::uint64_t>() << " failed, "
         << produced["indeterminate"].get<std::uint64_t>() << " indeterminate";
    if (produced.contains("indeterminate_resolved") &&
        produced["indeterminate"].get<std::uint64_t>() > 0) {
        const auto& resolved = produced["indeterminate_resolved"];
        text << " (" << resolved.value("recovered", 0) << " found written, "
             << resolved.value("unknown", 0) << " unknown)";
    }
    text << " (" << produced["ok_per_s"].get<double>() << " orders/s)\n";
    for (const auto& [name, verdict] : report["verification"].items()) {
        const auto& latency = report["summary"]["groups"][name]["latency"]["end_to_end"];
        text << "  group " << name << ": applied " << verdict["applied"].get<std::uint64_t>()
             << ", lost " << verdict["lost"].get<std::uint64_t>() << ", duplicated "
             << verdict["duplicated"].get<std::uint64_t>() << ", unexpected "
             << verdict["unexpected"].get<std::uint64_t>() << ", dead-lettered "
             << verdict["dead_lettered"].get<std::uint64_t>() << ", pending left "
             << verdict["pending_left"].get<std::int64_t>() << "; latency p50 "
             << latency["p50_ms"].get<double>() << " ms, p99 " << latency["p99_ms"].get<double>()
             << " ms\n";
    }
    const auto& killed =
        report["summary"].value("final_stop", json::object()).value("killed", json::array());
    if (!killed.empty()) {
        text << "  WARNING: " << killed.size()
             << " consumer(s) did not stop within the final grace and were killed: "
             << killed.dump() << "\n";
    }
    const auto& not_removed =
        report["summary"].value("cleanup", json::object()).value("not_removed", json::array());
    for (const auto& note : not_removed) {
        text << "  WARNING: cleanup: " << note.get<std::string>() << "\n";
    }
    for (const auto& gate : report["gates"]) {
        if (gate["passed"].get<bool>()) continue;
        text << "  FAILED gate " << gate["gate"].get<std::string>();
        auto scope = gate_scope(gate);
        if (!scope.empty()) text << " [" << scope << "]";
        text << ": " << gate["actual"].get<double>() << " (limit " << gate["limit"].get<double>()
             << ")\n";
    }
    text << "verdict: " << report["verdict"].get<std::string>() << "\n";
    text << "report: " << path.string() << "\n";
    text << "html:   " << (path.parent_path() / "report.html").string() << "\n";
    return text.str();
}

}  // namespace sh::reports
