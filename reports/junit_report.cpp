#include "reports/junit_report.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <utility>
#include <vector>

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
    // What failed: a gate, or an anomaly the verifier counted that no gate judges.
    std::string failure_type = "gate";
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

// The gates of a report, each reported once: a gate that judges a verification check joins
// that check's case; the others are cases of their own.
class GateList {
  public:
    explicit GateList(const json& gates) : gates_(gates), taken_(gates.size(), false) {}

    // The gates named `gate` on `group`, taken out of the list (a workload has one; a report
    // written by hand may repeat it, and no copy may go unreported).
    std::vector<const json*> take(const std::string& gate, const std::string& group) {
        std::vector<const json*> found;
        for (std::size_t i = 0; i < gates_.size(); ++i) {
            const auto& candidate = gates_[i];
            if (!taken_[i] && candidate[key::gate] == gate &&
                candidate.value(key::group, std::string()) == group) {
                taken_[i] = true;
                found.push_back(&candidate);
            }
        }
        return found;
    }
    std::vector<const json*> rest() const {
        std::vector<const json*> left;
        for (std::size_t i = 0; i < gates_.size(); ++i) {
            if (!taken_[i]) left.push_back(&gates_[i]);
        }
        return left;
    }

  private:
    const json& gates_;
    std::vector<bool> taken_;
};

std::string gate_numbers(const json& gate) {
    return "actual " + number(gate.value(key::actual, json())) + ", limit " +
           number(gate.value(key::limit, json()));
}

TestCase gate_case(const json& gate) {
    auto group = gate.value(key::group, std::string());
    auto scope = gate_scope(gate);
    // A gate on a chaos event names the event: one test case per event, not per fault kind.
    auto name = gate[key::gate].get<std::string>() +
                (group.empty() && !scope.empty() ? " (" + scope + ")" : std::string());
    TestCase test{key::gates + (group.empty() ? "" : "." + group), name, "", "", "", ""};
    test.output = gate_numbers(gate);
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

// The check's case takes the verdict of its gates: the gate may count differently (max_lost
// leaves out the lost writes max_lost_writes judges), so its numbers go in the output too.
// Without a gate (disabled with null) the case is skipped with its count in the message:
// junit.xml agrees with the verdict and the exit code, and a count the user chose not to gate
// (duplicates of an at-least-once consumer) is still shown.
void judge(TestCase& test, const std::vector<const json*>& gates, bool anomaly,
           const std::string& problem, bool name_the_limit = true) {
    for (const auto* gate : gates) {
        test.output +=
            "; gate " + (*gate)[key::gate].get<std::string>() + ": " + gate_numbers(*gate);
        if (!(*gate)[key::passed].get<bool>() && test.failure.empty()) {
            test.failure = problem + (name_the_limit ? " exceeds the limit " +
                                                           number(gate->value(key::limit, json()))
                                                     : "");
        }
    }
    if (gates.empty()) {
        test.skipped = std::string(anomaly ? "not gated, counted: " : "not gated: ") + test.output;
    }
}

bool counted(const json& count) {
    auto value = number_of(count);
    return value && *value > 0;
}

TestCase check_case(const std::string& group, const json& verdict, const Check& check,
                    GateList& gates) {
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
    judge(test, gates.take(check.gate, group), counted(member(verdict, check.field)),
          group + ": " + summary);
    return test;
}

TestCase points_case(const std::string& group, const json& verdict, GateList& gates) {
    TestCase test{"verification." + group, "points_consistent", "", "", "", ""};
    const auto& points = member(verdict, key::points);
    test.output = "expected " + number(member(points, key::expected)) + ", actual " +
                  number(member(points, key::actual));
    auto judging = gates.take("points_consistent", group);
    if (member(points, key::checked) != true && judging.empty()) {
        test.skipped = "no points effect in this group";
        return test;
    }
    judge(test, judging, member(points, key::consistent) == false,
          group + ": points " + test.output, false);
    return test;
}

using Properties = std::vector<std::pair<std::string, std::string>>;

// What every suite of the run shares: it judges the whole run, so its time is the run's.
struct SuiteHead {
    std::string run;
    std::string timestamp;
    std::string seconds;
    Properties properties;
};

// Seconds as xs:decimal wants them: fixed point, never an exponent.
std::string seconds_text(double seconds) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(3) << seconds;
    return text.str();
}

// The load and the drain: what the run measured and verified (set-up and verification are
// not in the report). Absent in a report that could not start: 0.
double run_seconds(const json& report) {
    auto producing =
        number_of(member_path(report, {key::summary, key::produced, key::producing_s}));
    auto draining = number_of(member_path(report, {key::summary, key::drain, key::seconds}));
    return std::max(0.0, producing.value_or(0) + draining.value_or(0));
}

std::string text_of(const json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// Where a number came from: the run, the Redis it ran on, the build, and the user's tags. A
// report written before provenance existed still has its run id and Redis version.
Properties run_properties(const json& report) {
    Properties properties{{key::run_id, report[key::run_id].get<std::string>()}};
    const auto& provenance = member(report, key::provenance);
    auto version = member_path(provenance, {key::redis, key::version});
    if (version.is_null()) version = member_path(report, {key::environment, key::redis_version});
    if (!version.is_null()) properties.emplace_back(key::redis_version, text_of(version));
    const auto& commit = member_path(provenance, {key::build, key::commit});
    if (!commit.is_null()) properties.emplace_back(key::commit, text_of(commit));
    const auto& tags = member(provenance, key::tags);
    if (tags.is_object()) {
        for (const auto& [tag, value] : tags.items()) {
            properties.emplace_back("tag." + tag, text_of(value));
        }
    }
    return properties;
}

void write_suite(std::ostringstream& xml, const SuiteHead& head, const std::string& part,
                 const std::vector<TestCase>& cases) {
    std::size_t failures = 0;
    std::size_t errors = 0;
    std::size_t skipped = 0;
    for (const auto& test : cases) {
        failures += test.failure.empty() ? 0 : 1;
        errors += test.error.empty() ? 0 : 1;
        skipped += test.skipped.empty() ? 0 : 1;
    }
    xml << "  <testsuite name=\"" << xml_escape(head.run + "." + part) << "\" tests=\""
        << cases.size() << "\" failures=\"" << failures << "\" errors=\"" << errors
        << "\" skipped=\"" << skipped << "\" time=\"" << head.seconds << "\" timestamp=\""
        << xml_escape(head.timestamp) << "\">\n";
    xml << "    <properties>\n";
    for (const auto& [name, value] : head.properties) {
        xml << "      <property name=\"" << xml_escape(name) << "\" value=\"" << xml_escape(value)
            << "\"/>\n";
    }
    xml << "    </properties>\n";
    for (const auto& test : cases) {
        // A case's own time is not measured: the checks run together after the run.
        xml << "    <testcase classname=\"" << xml_escape(test.classname) << "\" name=\""
            << xml_escape(test.name) << "\" time=\"0\">\n";
        if (!test.failure.empty()) {
            xml << "      <failure message=\"" << xml_escape(test.failure) << "\" type=\""
                << test.failure_type << "\">" << xml_escape(test.failure) << "</failure>\n";
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
    GateList gates(report[key::gates]);
    std::vector<TestCase> verification_cases;
    for (const auto& [group, verdict] : report[key::verification].items()) {
        for (const auto& check : verification_checks) {
            verification_cases.push_back(check_case(group, verdict, check, gates));
        }
        verification_cases.push_back(points_case(group, verdict, gates));
    }
    std::vector<TestCase> gate_cases;
    for (const auto* gate : gates.rest()) gate_cases.push_back(gate_case(*gate));
    auto workload_name = string_or(member_path(report, {key::workload, key::name}), "unnamed");
    SuiteHead head{"streamharness." + workload_name + "." + report[key::run_id].get<std::string>(),
                   string_or(member(report, key::started_at)), seconds_text(run_seconds(report)),
                   run_properties(report)};
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
    xml << "<testsuites name=\"" << xml_escape(head.run) << "\" tests=\"" << tests
        << "\" failures=\"" << failures << "\" errors=\"" << run_cases.size() << "\" time=\""
        << head.seconds << "\">\n";
    if (!run_cases.empty()) write_suite(xml, head, "run", run_cases);
    write_suite(xml, head, "gates", gate_cases);
    write_suite(xml, head, "verification", verification_cases);
    xml << "</testsuites>\n";
    return xml.str();
}

}  // namespace sh::reports
