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

TEST(JunitReport, OneCasePerGateAndPerVerificationCheckWithTheNumbersInFailures) {
    auto xml = sh::reports::render_junit(report_with_lost_orders());
    // 4 gates + 11 checks for the one group.
    EXPECT_EQ(occurrences(xml, "<testcase "), 15u);
    EXPECT_NE(xml.find("<testsuites name=\"streamharness.orders.r1\" tests=\"15\" failures=\"3\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("name=\"streamharness.orders.r1.gates\" tests=\"4\" failures=\"2\""),
              std::string::npos);
    EXPECT_NE(xml.find("<failure message=\"max_p99_ms [a&lt;b]: actual 12.5, limit 10\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<failure message=\"a&lt;b: lost 2 (produced_ok 100, applied 98, "
                       "lost_sample [7,9]) exceeds the limit 0\""),
              std::string::npos)
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
    EXPECT_NE(xml.find("max_lost [a&lt;b]: actual 1234567, limit 0"), std::string::npos) << xml;
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
