#include "reports/run_summary.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"

namespace sh::reports {

using nlohmann::json;

std::string gate_scope(const json& gate) {
    if (gate.contains(key::group) && gate[key::group].is_string())
        return gate[key::group].get<std::string>();
    if (!gate.contains(key::fault) || !gate[key::fault].is_string()) return "";
    auto event = gate.value(key::event, json());
    return (event.is_number() ? "chaos.events." + event.dump() + " " : std::string()) +
           gate[key::fault].get<std::string>();
}

namespace {
// Counts read as counts ("3 (limit 0)"); rates and milliseconds keep two decimals.
std::string gate_number(double value) {
    std::ostringstream text;
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        text << static_cast<long long>(value);
    } else {
        text << std::fixed << std::setprecision(2) << value;
    }
    return text.str();
}
}  // namespace

std::string human_summary(const json& report, const std::filesystem::path& path) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(2);
    const auto& produced = report[key::summary][key::produced];
    text << "run " << report[key::run_id].get<std::string>() << ": produced "
         << produced[key::ok].get<std::uint64_t>() << " ok, "
         << produced[key::failed].get<std::uint64_t>() << " failed, "
         << produced[key::indeterminate].get<std::uint64_t>() << " indeterminate";
    if (produced.contains(key::indeterminate_resolved) &&
        produced[key::indeterminate].get<std::uint64_t>() > 0) {
        const auto& resolved = produced[key::indeterminate_resolved];
        text << " (" << resolved.value(key::recovered, 0) << " found written, "
             << resolved.value(key::unknown, 0) << " unknown)";
    }
    text << " (" << produced[key::ok_per_s].get<double>() << " orders/s)\n";
    for (const auto& [name, verdict] : report[key::verification].items()) {
        const auto& latency =
            member_path(report, {key::summary, key::groups, name, key::latency, key::end_to_end});
        text << "  group " << name << ": applied " << verdict[key::applied].get<std::uint64_t>()
             << ", lost " << verdict[key::lost].get<std::uint64_t>() << ", duplicated "
             << verdict[key::duplicated].get<std::uint64_t>() << ", unexpected "
             << verdict[key::unexpected].get<std::uint64_t>() << ", dead-lettered "
             << verdict[key::dead_lettered].get<std::uint64_t>() << ", pending left "
             << verdict[key::pending_left].get<std::int64_t>();
        if (verdict.value(key::stuck, std::int64_t{0}) > 0) {
            text << ", stuck " << verdict[key::stuck].get<std::int64_t>();
        }
        if (latency.is_object()) {
            text << "; latency p50 " << latency[key::p50_ms].get<double>() << " ms, p99 "
                 << latency[key::p99_ms].get<double>() << " ms\n";
        } else {
            bool external =
                member_path(report, {key::summary, key::groups, name, key::consumer}) == "external";
            text << "; latency not measured ("
                 << (external ? "external consumer" : "verified after the run") << ")\n";
        }
    }
    const auto& killed = report[key::summary]
                             .value(key::final_stop, json::object())
                             .value(key::killed, json::array());
    if (!killed.empty()) {
        text << "  WARNING: " << killed.size()
             << " consumer(s) did not stop within the final grace and were killed: "
             << killed.dump() << "\n";
    }
    const auto& not_removed = report[key::summary]
                                  .value(key::cleanup, json::object())
                                  .value(key::not_removed, json::array());
    for (const auto& note : not_removed) {
        text << "  WARNING: cleanup: " << note.get<std::string>() << "\n";
    }
    for (const auto& gate : report[key::gates]) {
        if (gate[key::passed].get<bool>()) continue;
        text << "  FAILED gate " << gate[key::gate].get<std::string>();
        auto scope = gate_scope(gate);
        if (!scope.empty()) text << " [" << scope << "]";
        text << ": " << gate_number(gate[key::actual].get<double>()) << " (limit "
             << gate_number(gate[key::limit].get<double>()) << ")\n";
    }
    if (const auto& error = report.value(key::error, json()); error.is_object()) {
        text << "  ERROR during " << error.value(key::phase, "the run") << ": "
             << error.value(key::message, "") << "\n";
    }
    text << "verdict: " << report[key::verdict].get<std::string>() << "\n";
    text << "report: " << path.string() << "\n";
    text << "html:   " << (path.parent_path() / "report.html").string() << "\n";
    return text.str();
}

}  // namespace sh::reports
