#include "reports/run_summary.hpp"

#include <iomanip>
#include <sstream>

namespace sh::reports {

using nlohmann::json;

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
