#include "reports/junit_report.hpp"

#include <iomanip>
#include <map>
#include <sstream>

#include "harness/errors.hpp"
#include "reports/report_json.hpp"
#include "reports/report_keys.hpp"
#include "reports/report_path.hpp"
#include "reports/run_summary.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

struct TestCase {
    std::string classname;
    std::string name;
    std::string failure;  // empty: passed
    std::string skipped;  // non-empty: not gated, recorded for information
    std::string output;   // the numbers behind the case, shown by CI systems
    std::string error;    // non-empty: the run could not finish (JUnit's <error>)
};

std::string xml_escape(const std::string& text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                escaped += "&amp;";
                break;
            case '<':
                escaped += "&lt;";
                break;
            case '>':
                escaped += "&gt;";
                break;
            case '"':
                escaped += "&quot;";
                break;
            case '\'':
                escaped += "&apos;";
                break;
            default:
                // XML 1.0 forbids most control characters even as references.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
                    escaped += '?';
                } else {
                    escaped += c;
                }
        }
    }
    return escaped;
}

std::string number(const json& value) {
    if (value.is_number_float()) {
        // 15 digits: a count of 1234567 stays 1234567, not 1.23457e+06.
        std::ostringstream text;
        text << std::setprecision(15) << value.get<double>();
        return text.str();
    }
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// The gate that judges a verification check, keyed by (gate name, group).
using GateIndex = std::map<std::pair<std::string, std::string>, json>;

GateIndex index_gates(const json& gates) {
    GateIndex index;
    for (const auto& gate : gates) {
        index[{gate[key::gate].get<std::string>(), gate.value(key::group, std::string())}] = gate;
    }
    return index;
}

TestCase gate_case(const json& gate) {
    auto group = gate.value(key::group, std::string());
    auto scope = gate_scope(gate);
    // A gate on a chaos event names the event: one test case per event, not per fault kind.
    auto name = gate[key::gate].get<std::string>() +
                (group.empty() && !scope.empty() ? " (" + scope + ")" : std::string());
    TestCase test{key::gates + (group.empty() ? "" : "." + group), name, "", "", "", ""};
    test.output = "actual " + number(gate.value(key::actual, json())) + ", limit " +
                  number(gate.value(key::limit, json()));
    if (!gate[key::passed].get<bool>()) {
        test.failure = test.name + (group.empty() ? "" : " [" + group + "]") + ": " + test.output;
    }
    return test;
}

// What each verification check reads from a group's verdict and which gate judges it.
struct Check {
    const char* name;
    const char* field;
    const char* gate;
    const char* context;  // more verdict fields worth seeing next to a failure
};

constexpr Check verification_checks[] = {
    {key::lost, key::lost, key::max_lost, key::lost_sample},
    {key::duplicated, key::duplicated, "max_duplicated", key::duplicated_sample},
    {key::unexpected, key::unexpected, "max_unexpected", ""},
    {key::pending_left, key::pending_left, "max_pending_left", ""},
    {key::lag_left, key::lag_left, "max_lag_left", ""},
    {"poison_dead_lettered", key::poison_not_dead_lettered, "poison_dead_lettered",
     key::dead_lettered_poison},
    {key::dead_lettered_healthy, key::dead_lettered_healthy, "max_dead_lettered_healthy",
     key::dead_letter_reasons},
    {key::applied_and_dead_lettered, key::applied_and_dead_lettered,
     "max_applied_and_dead_lettered", ""},
    {key::duplicated_without_hard_kill, key::duplicated_without_hard_kill,
     "max_duplicated_without_hard_kill", key::duplicated_after_hard_kill},
    {key::stuck, key::stuck, "max_stuck", key::stuck_by_consumer},
};

TestCase check_case(const std::string& group, const json& verdict, const Check& check,
                    const GateIndex& gates) {
    TestCase test{"verification." + group, check.name, "", "", "", ""};
    std::string summary =
        std::string(check.field) + " " + number(verdict.value(check.field, json()));
    summary += " (produced_ok " + number(verdict.value(key::produced_ok, json())) + ", applied " +
               number(verdict.value(key::applied, json()));
    if (*check.context && verdict.contains(check.context)) {
        summary += ", " + std::string(check.context) + " " + verdict[check.context].dump();
    }
    summary += ")";
    test.output = summary;
    auto gate = gates.find({check.gate, group});
    if (gate == gates.end()) {
        test.skipped = "not gated: " + summary;
    } else if (!gate->second[key::passed].get<bool>()) {
        test.failure = group + ": " + summary + " exceeds the limit " +
                       number(gate->second.value(key::limit, json()));
    }
    return test;
}

TestCase points_case(const std::string& group, const json& verdict, const GateIndex& gates) {
    TestCase test{"verification." + group, "points_consistent", "", "", "", ""};
    const auto& points = member(verdict, key::points);
    test.output = "expected " + number(member(points, key::expected)) + ", actual " +
                  number(member(points, key::actual));
    auto gate = gates.find({"points_consistent", group});
    if (member(points, key::checked) != true) {
        test.skipped = "no points effect in this group";
    } else if (gate == gates.end()) {
        test.skipped = "not gated: " + test.output;
    } else if (!gate->second[key::passed].get<bool>()) {
        test.failure = group + ": points " + test.output;
    }
    return test;
}

void write_suite(std::ostringstream& xml, const std::string& name, const std::string& timestamp,
                 const std::vector<TestCase>& cases) {
    std::size_t failures = 0;
    std::size_t errors = 0;
    std::size_t skipped = 0;
    for (const auto& test : cases) {
        failures += test.failure.empty() ? 0 : 1;
        errors += test.error.empty() ? 0 : 1;
        skipped += test.skipped.empty() ? 0 : 1;
    }
    xml << "  <testsuite name=\"" << xml_escape(name) << "\" tests=\"" << cases.size()
        << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped
        << "\" timestamp=\"" << xml_escape(timestamp) << "\">\n";
    for (const auto& test : cases) {
        xml << "    <testcase classname=\"" << xml_escape(test.classname) << "\" name=\""
            << xml_escape(test.name) << "\" time=\"0\">\n";
        if (!test.failure.empty()) {
            xml << "      <failure message=\"" << xml_escape(test.failure) << "\" type=\"gate\">"
                << xml_escape(test.failure) << "</failure>\n";
        }
        if (!test.error.empty()) {
            xml << "      <error message=\"" << xml_escape(test.error) << "\" type=\"run\">"
                << xml_escape(test.error) << "</error>\n";
        }
        if (!test.skipped.empty()) {
            xml << "      <skipped message=\"" << xml_escape(test.skipped) << "\"/>\n";
        }
        xml << "      <system-out>" << xml_escape(test.output) << "</system-out>\n";
        xml << "    </testcase>\n";
    }
    xml << "  </testsuite>\n";
}

// The fields the writer reads, checked first so a damaged report is an error naming the field.
void require_report_shape(const json& report) {
    auto bad = [](const std::string& path, const char* expected) {
        throw input_error({"report: " + path + ": expected " + expected});
    };
    if (!report.is_object()) bad("(top level)", "an object");
    require_shallow(report, "report");
    if (!report.contains(key::run_id) || !report[key::run_id].is_string())
        bad(key::run_id, "a string");
    if (!report.contains(key::gates) || !report[key::gates].is_array()) bad(key::gates, "an array");
    for (std::size_t i = 0; i < report[key::gates].size(); ++i) {
        const auto& gate = report[key::gates][i];
        auto path = "gates." + std::to_string(i);
        if (!gate.is_object() || !gate.contains(key::gate) || !gate[key::gate].is_string()) {
            bad(path + ".gate", "a string");
        }
        if (!gate.contains(key::passed) || !gate[key::passed].is_boolean())
            bad(path + ".passed", "a boolean");
        if (gate.contains(key::group) && !gate[key::group].is_string())
            bad(path + ".group", "a string");
    }
    if (!report.contains(key::verification) || !report[key::verification].is_object()) {
        bad(key::verification, "an object");
    }
    for (const auto& [group, verdict] : report[key::verification].items()) {
        if (!verdict.is_object()) bad("verification." + group, "an object");
    }
}

}  // namespace

std::string render_junit(const json& report) {
    require_report_shape(report);
    auto gates = index_gates(report[key::gates]);
    std::vector<TestCase> gate_cases;
    for (const auto& gate : report[key::gates]) gate_cases.push_back(gate_case(gate));
    std::vector<TestCase> verification_cases;
    for (const auto& [group, verdict] : report[key::verification].items()) {
        for (const auto& check : verification_checks) {
            verification_cases.push_back(check_case(group, verdict, check, gates));
        }
        verification_cases.push_back(points_case(group, verdict, gates));
    }
    auto workload_name = string_or(member_path(report, {key::workload, key::name}), "unnamed");
    auto run = "streamharness." + workload_name + "." + report[key::run_id].get<std::string>();
    auto timestamp = string_or(member(report, key::started_at));
    // A run that could not finish is one error case: nothing it did not verify is reported.
    std::vector<TestCase> run_cases;
    if (const auto& error = member(report, key::error); error.is_object()) {
        TestCase test{"run", "completes", "", "", "", ""};  // error and output below
        test.error = "the run could not finish (during " +
                     string_or(member(error, key::phase), "the run") +
                     "): " + string_or(member(error, key::message));
        test.output = test.error;
        run_cases.push_back(std::move(test));
    }
    std::size_t tests = run_cases.size() + gate_cases.size() + verification_cases.size();
    std::size_t failures = 0;
    for (const auto* cases : {&gate_cases, &verification_cases}) {
        for (const auto& test : *cases) failures += test.failure.empty() ? 0 : 1;
    }
    std::ostringstream xml;
    xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml << "<testsuites name=\"" << xml_escape(run) << "\" tests=\"" << tests << "\" failures=\""
        << failures << "\" errors=\"" << run_cases.size() << "\">\n";
    if (!run_cases.empty()) write_suite(xml, run + ".run", timestamp, run_cases);
    write_suite(xml, run + ".gates", timestamp, gate_cases);
    write_suite(xml, run + ".verification", timestamp, verification_cases);
    xml << "</testsuites>\n";
    return xml.str();
}

}  // namespace sh::reports
