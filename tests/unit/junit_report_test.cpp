#include "reports/junit_report.hpp"

#include <gtest/gtest.h>

#include "harness/errors.hpp"

namespace {

using nlohmann::json;

json verdict(std::uint64_t lost, bool points_checked) {
    return {{"produced_ok", 100},
            {"applied", 100 - lost},
            {"lost", lost},
            {"lost_sample", lost > 0 ? json::array({7, 9}) : json::array()},
            {"duplicated", 0},
            {"duplicated_sample", json::array()},
            {"unexpected", 0},
            {"pending_left", 0},
            {"lag_left", 0},
            {"poison_not_dead_lettered", 0},
            {"dead_lettered_poison", 0},
            {"points", {{"checked", points_checked}, {"expected", 50}, {"actual", 50}}}};
}

json report_with_lost_orders() {
    return {
        {"run_id", "r1"},
        {"started_at", "2026-11-25T10:00:00Z"},
        {"workload", {{"name", "orders"}}},
        {"gates",
         {{{"gate", "drained"}, {"actual", 1}, {"limit", 1}, {"passed", true}},
          {{"gate", "max_lost"}, {"group", "a<b"}, {"actual", 2}, {"limit", 0}, {"passed", false}},
          {{"gate", "max_duplicated"},
           {"group", "a<b"},
           {"actual", 0},
           {"limit", 0},
           {"passed", true}},
          {{"gate", "max_p99_ms"},
           {"group", "a<b"},
           {"actual", 12.5},
           {"limit", 10},
           {"passed", false}}}},
        {"verification", {{"a<b", verdict(2, false)}}}};
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
    return count;
}

TEST(JunitReport, OneCasePerProblemWithTheNumbersInFailures) {
    auto xml = sh::reports::render_junit(report_with_lost_orders());
    // drained and max_p99_ms as gates; max_lost and max_duplicated judge the checks lost and
    // duplicated, so they are those checks' cases: 2 gates + 11 checks for the one group.
    EXPECT_EQ(occurrences(xml, "<testcase "), 13u);
    EXPECT_NE(xml.find("<testsuites name=\"streamharness.orders.r1\" tests=\"13\" failures=\"2\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("name=\"streamharness.orders.r1.gates\" tests=\"2\" failures=\"1\""),
              std::string::npos);
    EXPECT_NE(xml.find("<failure message=\"max_p99_ms [a&lt;b]: actual 12.5, limit 10\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<failure message=\"a&lt;b: lost 2 (produced_ok 100, applied 98, "
                       "lost_sample [7,9]) exceeds the limit 0\""),
              std::string::npos)
        << xml;
    EXPECT_EQ(xml.find("name=\"max_lost\""), std::string::npos) << "reported twice:\n" << xml;
    EXPECT_NE(xml.find("; gate max_lost: actual 2, limit 0</system-out>"), std::string::npos)
        << xml;
}

TEST(JunitReport, UngatedChecksAreSkippedWithTheirNumbers) {
    auto xml = sh::reports::render_junit(report_with_lost_orders());
    // No gate for unexpected, pending_left, lag_left, poison, healthy dead letters, applied
    // dead letters, duplicates without a hard kill or stuck entries in this report; no points
    // effect.
    EXPECT_NE(
        xml.find("<skipped message=\"not gated: unexpected 0 (produced_ok 100, applied 98)\"/>"),
        std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<skipped message=\"no points effect in this group\"/>"), std::string::npos);
    EXPECT_NE(xml.find("skipped=\"9\""), std::string::npos) << xml;
}

TEST(JunitReport, StuckEntriesFailWithTheConsumersThatHoldThem) {
    auto report = report_with_lost_orders();
    report["verification"]["a<b"]["stuck"] = 3;
    report["verification"]["a<b"]["stuck_by_consumer"] = {{"consumer-1", 3}};
    report["gates"].push_back(
        {{"gate", "max_stuck"}, {"group", "a<b"}, {"actual", 3}, {"limit", 0}, {"passed", false}});
    auto xml = sh::reports::render_junit(report);
    EXPECT_NE(xml.find("<failure message=\"a&lt;b: stuck 3 (produced_ok 100, applied 98, "
                       "stuck_by_consumer {&quot;consumer-1&quot;:3}) exceeds the limit 0\""),
              std::string::npos)
        << xml;
}

TEST(JunitReport, APassingReportHasNoFailures) {
    auto report = report_with_lost_orders();
    for (auto& gate : report["gates"]) gate["passed"] = true;
    auto xml = sh::reports::render_junit(report);
    EXPECT_EQ(xml.find("<failure"), std::string::npos);
    EXPECT_NE(xml.find("failures=\"0\""), std::string::npos);
}

}  // namespace

namespace {

TEST(JunitReport, LargeCountsArePrintedWhole) {
    auto report = report_with_lost_orders();
    report["gates"][1]["actual"] = 1234567.0;
    auto xml = sh::reports::render_junit(report);
    // max_lost judges the check lost: its numbers are in that case's output.
    EXPECT_NE(xml.find("; gate max_lost: actual 1234567, limit 0"), std::string::npos) << xml;
}

TEST(JunitReport, ADamagedReportIsAnErrorNamingTheField) {
    for (const auto* field : {"gates", "verification", "run_id"}) {
        auto report = report_with_lost_orders();
        report.erase(field);
        try {
            sh::reports::render_junit(report);
            ADD_FAILURE() << "no error without " << field;
        } catch (const sh::WorkloadError& error) {
            EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
        }
    }
    auto report = report_with_lost_orders();
    report["gates"][0].erase("passed");
    EXPECT_THROW(sh::reports::render_junit(report), sh::WorkloadError);
    EXPECT_THROW(sh::reports::render_junit(json::array()), sh::WorkloadError);
}

}  // namespace

namespace {

// Found by tests/fuzz/report_fuzz: each of these threw nlohmann's type_error ("internal error")
// where a field the page only shows may be absent or of another type.
TEST(JunitReport, FieldsItOnlyShowsMayHaveAnotherType) {
    auto report = report_with_lost_orders();
    report["started_at"] = nullptr;
    report["workload"]["name"] = 5;
    report["verification"]["a<b"]["points"] = 3;
    report["error"] = {{"phase", 1}, {"message", json::array()}};
    auto xml = sh::reports::render_junit(report);
    EXPECT_NE(xml.find("<testsuites name=\"streamharness.unnamed.r1\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("the run could not finish (during the run): "), std::string::npos) << xml;
    report["verification"]["a<b"]["points"] = {{"checked", "yes"}};
    EXPECT_NE(sh::reports::render_junit(report).find("no points effect"), std::string::npos);
}

// Found while fuzzing the report readers: a file nested 100,000 levels deep overflowed the stack.
TEST(JunitReport, RefusesADocumentNestedDeeperThanAnyReport) {
    auto report = report_with_lost_orders();
    report["workload"] = json::parse(std::string(100000, '[') + std::string(100000, ']'));
    EXPECT_THROW(sh::reports::render_junit(report), sh::WorkloadError);
}

}  // namespace

namespace {

// What the verifier counts per group, every count 0 and the points consistent.
json clean_verdict() {
    return {
        {"produced_ok", 100},
        {"applied", 100},
        {"lost", 0},
        {"duplicated", 0},
        {"unexpected", 0},
        {"pending_left", 0},
        {"lag_left", 0},
        {"poison_not_dead_lettered", 0},
        {"dead_lettered_healthy", 0},
        {"applied_and_dead_lettered", 0},
        {"duplicated_without_hard_kill", 0},
        {"stuck", 0},
        {"points", {{"checked", true}, {"expected", 50}, {"actual", 50}, {"consistent", true}}}};
}

// Each anomaly the verifier counts, the gate that judges it by default, and the case's name.
struct Anomaly {
    const char* field;
    const char* gate;
    const char* check;
};

const std::vector<Anomaly> anomalies = {
    {"lost", "max_lost", "lost"},
    {"duplicated", "max_duplicated", "duplicated"},
    {"unexpected", "max_unexpected", "unexpected"},
    {"pending_left", "max_pending_left", "pending_left"},
    {"lag_left", "max_lag_left", "lag_left"},
    {"poison_not_dead_lettered", "poison_dead_lettered", "poison_dead_lettered"},
    {"dead_lettered_healthy", "max_dead_lettered_healthy", "dead_lettered_healthy"},
    {"applied_and_dead_lettered", "max_applied_and_dead_lettered", "applied_and_dead_lettered"},
    {"duplicated_without_hard_kill", "max_duplicated_without_hard_kill",
     "duplicated_without_hard_kill"},
    {"stuck", "max_stuck", "stuck"},
    {"points", "points_consistent", "points_consistent"},
};

void add_anomaly(json& report, const std::string& group, const Anomaly& anomaly) {
    auto& verdict = report["verification"][group];
    if (std::string(anomaly.field) == "points") {
        verdict["points"]["actual"] = 47;
        verdict["points"]["consistent"] = false;
    } else {
        verdict[anomaly.field] = 3;
    }
}

// Every default gate of the group, passed; the run-wide ones too.
json report_with_default_gates(const std::vector<std::string>& groups) {
    json report = {{"run_id", "r2"},
                   {"workload", {{"name", "orders"}}},
                   {"verification", json::object()},
                   {"gates",
                    {{{"gate", "drained"}, {"actual", 1}, {"limit", 1}, {"passed", true}},
                     {{"gate", "min_produced_ok"}, {"actual", 100}, {"limit", 1}, {"passed", true}},
                     {{"gate", "min_faults_landed"},
                      {"fault", "kill"},
                      {"event", 0},
                      {"actual", 1},
                      {"limit", 1},
                      {"passed", true}}}}};
    for (const auto& group : groups) {
        report["verification"][group] = clean_verdict();
        for (const auto& anomaly : anomalies) {
            report["gates"].push_back({{"gate", anomaly.gate},
                                       {"group", group},
                                       {"actual", 0},
                                       {"limit", 0},
                                       {"passed", true}});
        }
    }
    return report;
}

void fail_gate(json& report, const std::string& gate, const std::string& group) {
    for (auto& entry : report["gates"]) {
        if (entry["gate"] == gate && entry.value("group", "") == group) {
            entry["passed"] = false;
            entry["actual"] = 3;
        }
    }
}

void remove_gate(json& report, const std::string& gate, const std::string& group) {
    auto& gates = report["gates"];
    for (auto it = gates.begin(); it != gates.end();) {
        it = (*it)["gate"] == gate && it->value("group", "") == group ? gates.erase(it) : it + 1;
    }
}

std::size_t failures_of(const std::string& xml) {
    auto at = xml.find("failures=\"");
    EXPECT_NE(at, std::string::npos);
    return std::stoul(xml.substr(at + 10));
}

TEST(JunitReport, EachGatedAnomalyFailsExactlyOneCase) {
    EXPECT_EQ(failures_of(sh::reports::render_junit(report_with_default_gates({"g"}))), 0u);
    for (const auto& anomaly : anomalies) {
        SCOPED_TRACE(anomaly.field);
        auto report = report_with_default_gates({"g", "h"});
        add_anomaly(report, "g", anomaly);
        fail_gate(report, anomaly.gate, "g");
        auto gated = sh::reports::render_junit(report);
        EXPECT_EQ(failures_of(gated), 1u) << gated;
        EXPECT_EQ(occurrences(gated, "<failure "), 1u) << gated;
        EXPECT_NE(gated.find("<testcase classname=\"verification.g\" name=\"" +
                             std::string(anomaly.check) + "\" time=\"0\">\n      <failure "),
                  std::string::npos)
            << gated;

        // The workload disabled the gate (null): the verdict passes, so does junit.xml, and the
        // count is shown in the skipped case.
        remove_gate(report, anomaly.gate, "g");
        auto ungated = sh::reports::render_junit(report);
        EXPECT_EQ(failures_of(ungated), 0u) << ungated;
        EXPECT_EQ(occurrences(ungated, "<skipped message=\"not gated, counted: "), 1u) << ungated;
    }
}

TEST(JunitReport, TheFailuresCountTheDistinctProblems) {
    auto report = report_with_default_gates({"g", "h"});
    for (const auto& anomaly : anomalies) {
        add_anomaly(report, "g", anomaly);
        fail_gate(report, anomaly.gate, "g");
        add_anomaly(report, "h", anomaly);
        remove_gate(report, anomaly.gate, "h");
    }
    fail_gate(report, "drained", "");
    fail_gate(report, "min_faults_landed", "");
    // A gate on a group the report has no verdict for (written by hand or damaged) still shows.
    report["gates"].push_back(
        {{"gate", "max_lost"}, {"group", "gone"}, {"actual", 1}, {"limit", 0}, {"passed", false}});
    auto xml = sh::reports::render_junit(report);
    // Group h's anomalies are not gated: skipped with their counts, not failed.
    EXPECT_EQ(failures_of(xml), anomalies.size() + 3) << xml;
    EXPECT_EQ(occurrences(xml, "<failure "), anomalies.size() + 3) << xml;
    EXPECT_EQ(occurrences(xml, "not gated, counted: "), anomalies.size()) << xml;
    EXPECT_NE(xml.find("max_lost [gone]: actual 1, limit 0"), std::string::npos) << xml;
    EXPECT_NE(xml.find("min_faults_landed (chaos.events.0 kill)"), std::string::npos) << xml;
}

TEST(JunitReport, SuitesCarryTheRunsTimeAndProvenanceAsProperties) {
    auto report = report_with_lost_orders();
    report["summary"] = {{"produced", {{"producing_s", 30.25}}}, {"drain", {{"seconds", 1.5}}}};
    report["environment"] = {{"redis_version", "7.0.1"}};
    report["provenance"] = {{"redis", {{"version", "7.2.4"}}},
                            {"build", {{"commit", std::string(40, 'a')}}},
                            {"tags", {{"branch", "main"}, {"pr", "<17>"}}}};
    auto xml = sh::reports::render_junit(report);
    EXPECT_NE(xml.find("failures=\"2\" errors=\"0\" time=\"31.750\">"), std::string::npos) << xml;
    EXPECT_EQ(occurrences(xml, "time=\"31.750\" timestamp=\"2026-11-25T10:00:00Z\">"), 2u) << xml;
    EXPECT_EQ(occurrences(xml, "<testcase "), occurrences(xml, "time=\"0\">"));
    auto properties =
        "    <properties>\n"
        "      <property name=\"run_id\" value=\"r1\"/>\n"
        "      <property name=\"redis_version\" value=\"7.2.4\"/>\n"
        "      <property name=\"commit\" value=\"" +
        std::string(40, 'a') +
        "\"/>\n"
        "      <property name=\"tag.branch\" value=\"main\"/>\n"
        "      <property name=\"tag.pr\" value=\"&lt;17&gt;\"/>\n"
        "    </properties>\n";
    EXPECT_EQ(occurrences(xml, properties), 2u) << xml;

    // A report from before provenance: its run id and the Redis version it always had.
    report.erase("provenance");
    xml = sh::reports::render_junit(report);
    EXPECT_NE(xml.find("    <properties>\n"
                       "      <property name=\"run_id\" value=\"r1\"/>\n"
                       "      <property name=\"redis_version\" value=\"7.0.1\"/>\n"
                       "    </properties>\n"),
              std::string::npos)
        << xml;
    EXPECT_EQ(xml.find("name=\"commit\""), std::string::npos);
    // Nor any durations: time 0, still a decimal.
    report.erase("summary");
    report["provenance"] = {{"tags", 5}, {"build", "odd"}};
    xml = sh::reports::render_junit(report);
    EXPECT_NE(xml.find("errors=\"0\" time=\"0.000\">"), std::string::npos) << xml;
}

}  // namespace
