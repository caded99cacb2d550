// Workload files: defaults, validation messages with their JSON paths, --set overrides, to_json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/errors.hpp"
#include "harness/os/temp_dir.hpp"
#include "harness/workload/workload_json.hpp"
#include "tests/unit/workload_problems.hpp"

using nlohmann::json;
using sh::WorkloadError;
using sh::testing::has_problem_starting;
using sh::testing::joined;
using sh::testing::problems_of;
using sh::workload::AckMode;
using sh::workload::load_workload;
using sh::workload::parse_workload;
using sh::workload::to_json;
using sh::workload::Workload;

namespace {

// tests/unit/workload_test.cpp -> the repository root.
std::filesystem::path repo_root() {
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

json minimal() {
    return json{{"groups", json::array({{{"name", "g"}}})}};
}

}  // namespace

TEST(WorkloadDefaults, MinimalDocumentGetsTheDocumentedDefaults) {
    Workload w = parse_workload(minimal());
    EXPECT_EQ(w.name, "unnamed");
    EXPECT_DOUBLE_EQ(w.duration_s, 20);
    EXPECT_EQ(w.persistence, sh::redis::Persistence::none);
    EXPECT_EQ(w.seed, 1U);
    EXPECT_DOUBLE_EQ(w.drain_timeout_s, 30);
    EXPECT_EQ(w.stream.name, "ordermq");
    EXPECT_EQ(w.stream.key, "");
    EXPECT_EQ(w.stream.payload_bytes, 64);
    EXPECT_EQ(w.stream.retention.mode, sh::workload::RetentionMode::off);
    EXPECT_EQ(w.producers.count, 1);
    EXPECT_DOUBLE_EQ(w.producers.rate, 1000);
    EXPECT_EQ(w.producers.arrival, sh::workload::Arrival::constant);
    EXPECT_EQ(w.producers.pipeline, 16);
    EXPECT_DOUBLE_EQ(w.producers.poison_ratio, 0);
    ASSERT_EQ(w.groups.size(), 1U);
    const auto& g = w.groups[0];
    EXPECT_EQ(g.name, "g");
    EXPECT_EQ(g.consumers, 1);
    EXPECT_EQ(g.ack, AckMode::atomic);
    EXPECT_FALSE(g.dedupe);
    EXPECT_EQ(g.effect, sh::workload::Effect::none);
    EXPECT_EQ(g.batch, 50);
    EXPECT_TRUE(g.claim.enabled);
    EXPECT_EQ(g.claim.interval_ms, 200);
    EXPECT_EQ(g.claim.min_idle_ms, 1000);
    EXPECT_EQ(g.claim.max_deliveries, 5);
    EXPECT_EQ(g.restart, sh::workload::RestartPolicy::same_name);
    EXPECT_TRUE(g.replay_pending);
    EXPECT_TRUE(w.chaos.events.empty());
    EXPECT_EQ(w.gates.max_lost, 0);
    EXPECT_EQ(w.gates.max_duplicated, 0);
    EXPECT_FALSE(w.gates.max_p99_ms.has_value());
    EXPECT_TRUE(w.gates.points_consistent);
}

TEST(WorkloadValidation, RejectsUnknownTopLevelKeyAndNamesIt) {
    auto document = minimal();
    document["bogus"] = 1;
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0], "bogus: unknown key");
}

TEST(WorkloadValidation, RejectsUnknownNestedKeyAndNamesItsDottedPath) {
    auto document = minimal();
    document["groups"][0]["claim"] = {{"bogus", true}};
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0], "groups.0.claim.bogus: unknown key");
}

TEST(WorkloadValidation, RejectsWrongTypeAndSaysWhatWasExpected) {
    auto document = minimal();
    document["duration_s"] = "fast";
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0].rfind("duration_s: expected a number", 0), 0U) << problems[0];
    EXPECT_NE(problems[0].find("\"fast\""), std::string::npos) << problems[0];
}

TEST(WorkloadValidation, RejectsNegativeProducerRate) {
    auto document = minimal();
    document["producers"] = {{"rate", -5}};
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_TRUE(has_problem_starting(problems, "producers.rate: ")) << joined(problems);
    EXPECT_NE(problems[0].find("out of range"), std::string::npos) << problems[0];
}

TEST(WorkloadValidation, RejectsGroupWithZeroConsumers) {
    auto document = minimal();
    document["groups"][0]["consumers"] = 0;
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_TRUE(has_problem_starting(problems, "groups.0.consumers: ")) << joined(problems);
}

TEST(WorkloadValidation, RejectsEmptyGroupsArray) {
    auto problems = problems_of(json{{"groups", json::array()}});
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_TRUE(has_problem_starting(problems, "groups: ")) << joined(problems);
}

TEST(WorkloadValidation, RejectsMissingGroups) {
    auto problems = problems_of(json::object());
    EXPECT_TRUE(has_problem_starting(problems, "groups: ")) << joined(problems);
}

// Found by tests/fuzz/workload_fuzz: a group without a name was accepted (named ""), and the
// workload written into its report could not be read back.
TEST(WorkloadValidation, RejectsGroupWithoutAName) {
    auto document = minimal();
    document["groups"].push_back({{"consumers", 2}});
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0], "groups.1.name: required");
}

TEST(WorkloadValidation, RejectsDuplicateGroupNamesAtTheSecondOne) {
    auto document = minimal();
    document["groups"].push_back({{"name", "g"}});
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_TRUE(has_problem_starting(problems, "groups.1.name: duplicate group name 'g'"))
        << joined(problems);
}

TEST(WorkloadValidation, ReportsEveryProblemAtOnce) {
    auto document = minimal();
    document["bogus"] = 1;
    document["producers"] = {{"rate", -1}, {"count", "two"}};
    document["groups"][0]["consumers"] = 0;
    auto problems = problems_of(document);
    EXPECT_EQ(problems.size(), 4U) << joined(problems);
    EXPECT_TRUE(has_problem_starting(problems, "bogus: unknown key"));
    EXPECT_TRUE(has_problem_starting(problems, "producers.rate: "));
    EXPECT_TRUE(has_problem_starting(problems, "producers.count: expected an integer"));
    EXPECT_TRUE(has_problem_starting(problems, "groups.0.consumers: "));
}

// Found while fuzzing the workload reader: a value nested 100,000 levels deep where a string
// belongs crashed `run` (SIGSEGV) as the problem message quoted it.
TEST(WorkloadValidation, QuotesAnArrayByItsSizeHoweverDeepItNests) {
    auto deep = std::string(100000, '[') + std::string(100000, ']');
    auto document = minimal();
    document["name"] = json::parse(deep);
    try {
        parse_workload(std::move(document), {"groups.0.name=" + deep});
        FAIL() << "a name that is an array was accepted";
    } catch (const WorkloadError& error) {
        EXPECT_EQ(error.problems(), (std::vector<std::string>{
                                        "name: expected a string, got an array of 1",
                                        "groups.0.name: expected a string, got an array of 1"}));
    }
}

TEST(WorkloadValidation, RejectsADocumentThatIsNotAnObject) {
    EXPECT_THROW(parse_workload(json::array()), WorkloadError);
}

TEST(WorkloadFile, InvalidJsonIsAnErrorNamingTheFile) {
    sh::os::TempDir dir("workload-test");
    auto path = dir.path() / "broken.json";
    std::ofstream(path) << "{ \"name\": \"x\",\n  \"groups\": [ }\n";
    try {
        load_workload(path);
        FAIL() << "invalid JSON was accepted";
    } catch (const WorkloadError& error) {
        ASSERT_EQ(error.problems().size(), 1U);
        EXPECT_NE(error.problems()[0].find(path.string()), std::string::npos)
            << error.problems()[0];
        EXPECT_NE(error.problems()[0].find("not JSON (line 2, column"), std::string::npos)
            << error.problems()[0];
    }
}

TEST(WorkloadFile, MissingFileIsAnErrorNamingTheFile) {
    sh::os::TempDir dir("workload-test");
    auto path = dir.path() / "absent.json";
    try {
        load_workload(path);
        FAIL() << "a missing file was accepted";
    } catch (const WorkloadError& error) {
        EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
    }
}

TEST(WorkloadOverrides, SetsNumbersAndBareWordsAlongNestedPaths) {
    auto w = parse_workload(
        minimal(), {"producers.rate=250.5", "groups.0.ack=after", "groups.0.claim.max_deliveries=9",
                    "persistence=aof-always", "stream.retention.mode=safe"});
    EXPECT_DOUBLE_EQ(w.producers.rate, 250.5);
    EXPECT_EQ(w.groups[0].ack, AckMode::after);
    EXPECT_EQ(w.groups[0].claim.max_deliveries, 9);
    EXPECT_EQ(w.persistence, sh::redis::Persistence::aof_always);
    EXPECT_EQ(w.stream.retention.mode, sh::workload::RetentionMode::safe);
}

TEST(WorkloadOverrides, LaterOverrideWinsAndValueIsValidated) {
    auto w = parse_workload(minimal(), {"duration_s=5", "duration_s=7"});
    EXPECT_DOUBLE_EQ(w.duration_s, 7);
    auto problems = problems_of(minimal(), {"producers.rate=-3"});
    EXPECT_TRUE(has_problem_starting(problems, "producers.rate: ")) << joined(problems);
}

TEST(WorkloadOverrides, ArrayIndexOutOfRangeIsReported) {
    auto problems = problems_of(minimal(), {"groups.3.ack=after"});
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_NE(problems[0].find("groups.3"), std::string::npos) << problems[0];
    EXPECT_NE(problems[0].find("no such element"), std::string::npos) << problems[0];
}

TEST(WorkloadOverrides, NonNumericArrayIndexIsReported) {
    auto problems = problems_of(minimal(), {"groups.first.ack=after"});
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_NE(problems[0].find("expected an array index"), std::string::npos) << problems[0];
}

// std::stoul read "0x" as 0: a mistyped index silently set another element.
TEST(WorkloadOverrides, ArrayIndexWithTrailingCharactersIsReported) {
    for (const std::string assignment : {"groups.0x.ack=after", "groups.-1.ack=after"}) {
        auto problems = problems_of(minimal(), {assignment});
        ASSERT_EQ(problems.size(), 1U) << joined(problems);
        EXPECT_NE(problems[0].find("expected an array index"), std::string::npos) << problems[0];
    }
}

TEST(WorkloadOverrides, AssignmentWithoutEqualsIsReported) {
    auto problems = problems_of(minimal(), {"producers.rate"});
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_NE(problems[0].find("expected path=value"), std::string::npos) << problems[0];
}

// Found by tests/fuzz/workload_fuzz: "internal error" at once, or for a name after the whole
// run, when writing report.json.
TEST(WorkloadOverrides, AssignmentThatIsNotUtf8IsReported) {
    for (const auto* assignment : {"name=\xff", "groups.0.ack=\xc3(after", "\xfe.x=1"}) {
        auto problems = problems_of(minimal(), {assignment});
        ASSERT_EQ(problems.size(), 1U) << joined(problems);
        EXPECT_NE(problems[0].find("not valid UTF-8"), std::string::npos) << problems[0];
    }
}

TEST(WorkloadOverrides, OverridingAnUnknownKeyIsReportedAsUnknown) {
    auto problems = problems_of(minimal(), {"groups.0.claim.bogus=3"});
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0], "groups.0.claim.bogus: unknown key");
}

TEST(WorkloadToJson, RoundTripsDefaults) {
    auto original = parse_workload(minimal());
    auto serialised = to_json(original);
    auto again = parse_workload(json::parse(serialised.dump()));
    EXPECT_EQ(to_json(again), serialised);
}

TEST(WorkloadToJson, RoundTripsNonDefaultValues) {
    json document = {
        {"name", "rt"},
        {"duration_s", 12.5},
        {"persistence", "aof-everysec"},
        {"seed", 18446744073709551615ULL},
        {"stream", {{"name", "s"}, {"retention", {{"mode", "unsafe"}}}}},
        {"producers", {{"count", 3}, {"rate", 0}, {"arrival", "poisson"}, {"poison_ratio", 0.25}}},
        {"groups",
         {{{"name", "a"}, {"ack", "before"}, {"dedupe", true}, {"effect", "points"}},
          {{"name", "b"},
           {"naming", "shared"},
           {"restart", "never"},
           {"fail_ratio", 0.5},
           {"service_time", {{"distribution", "uniform"}, {"mean_us", 40}}},
           {"claim", {{"enabled", false}, {"interval_ms", 5000}}},
           {"dead_letter", {{"delete", true}}}}}},
        {"chaos",
         {{"seed", 9U},
          {"events",
           {{{"fault", "kill"},
             {"target", "a/1"},
             {"at_s", 2},
             {"restart", "new-name"},
             {"window", "acked-unapplied"}},
            {{"fault", "redis-restart"}, {"target", "-"}, {"every_s", 3}, {"hard", false}}}}}},
        {"gates",
         {{"max_lost", nullptr},
          {"max_duplicated", 4},
          {"max_p99_ms", 12.5},
          {"max_dead_lettered_healthy", 3},
          {"min_produced_ok", 10},
          {"max_produce_indeterminate", nullptr},
          {"min_faults_landed", 2}}},
    };
    auto original = parse_workload(document);
    auto serialised = to_json(original);
    auto again = parse_workload(json::parse(serialised.dump()));
    EXPECT_EQ(to_json(again), serialised);

    EXPECT_EQ(again.name, "rt");
    EXPECT_DOUBLE_EQ(again.duration_s, 12.5);
    EXPECT_EQ(again.seed, 18446744073709551615ULL);
    EXPECT_EQ(again.stream.retention.mode, sh::workload::RetentionMode::unsafe);
    EXPECT_EQ(again.chaos.events[0].window, sh::model::ConsumerWindow::acked_unapplied);
    EXPECT_EQ(again.gates.max_dead_lettered_healthy, 3);
    EXPECT_EQ(again.gates.min_produced_ok, 10);
    EXPECT_FALSE(again.gates.max_produce_indeterminate.has_value());
    EXPECT_EQ(again.gates.min_faults_landed, 2);

    json keyed = {{"stream", {{"key", "exact:key"}}}, {"groups", {{{"name", "g"}}}}};
    EXPECT_EQ(parse_workload(json::parse(to_json(parse_workload(keyed)).dump())).stream.key,
              "exact:key");
    EXPECT_EQ(again.producers.arrival, sh::workload::Arrival::poisson);
    EXPECT_DOUBLE_EQ(again.producers.poison_ratio, 0.25);
    ASSERT_EQ(again.groups.size(), 2U);
    EXPECT_EQ(again.groups[0].ack, AckMode::before);
    EXPECT_TRUE(again.groups[0].dedupe);
    EXPECT_EQ(again.groups[1].naming, sh::workload::ConsumerNaming::shared);
    EXPECT_EQ(again.groups[1].restart, sh::workload::RestartPolicy::never);
    EXPECT_FALSE(again.groups[1].claim.enabled);
    EXPECT_TRUE(again.groups[1].dead_letter.delete_entry);
    ASSERT_EQ(again.chaos.events.size(), 2U);
    EXPECT_EQ(again.chaos.events[0].at_s, 2.0);
    EXPECT_FALSE(again.chaos.events[0].every_s.has_value());
    EXPECT_EQ(again.chaos.events[1].fault, sh::workload::FaultKind::redis_restart);
    EXPECT_FALSE(again.chaos.events[1].hard);
    EXPECT_FALSE(again.gates.max_lost.has_value());
    EXPECT_EQ(again.gates.max_duplicated, 4);
    EXPECT_EQ(again.gates.max_p99_ms, 12.5);
}

TEST(ShippedWorkloads, OrdersParsesWithTwoGroupsOfTwoConsumers) {
    auto w = load_workload(repo_root() / "workloads" / "orders.json");
    EXPECT_EQ(w.stream.name, "ordermq");
    ASSERT_EQ(w.groups.size(), 2U);
    EXPECT_EQ(w.groups[0].name, "score");
    EXPECT_EQ(w.groups[0].consumers, 2);
    EXPECT_EQ(w.groups[1].name, "push");
    EXPECT_EQ(w.groups[1].consumers, 2);
}

TEST(ShippedWorkloads, SmokeParses) {
    auto w = load_workload(repo_root() / "workloads" / "smoke.json");
    EXPECT_EQ(w.name, "smoke");
    EXPECT_FALSE(w.groups.empty());
}

TEST(ShippedWorkloads, EveryFileInWorkloadsParsesUnderItsOwnName) {
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(repo_root() / "workloads")) {
        if (entry.path().extension() != ".json") continue;
        ++files;
        Workload w;
        ASSERT_NO_THROW(w = load_workload(entry.path())) << entry.path();
        EXPECT_EQ(w.name, entry.path().stem().string()) << entry.path();
    }
    EXPECT_GE(files, 5U);
}

TEST(WorkloadChecks, DrainTooShortToDeadLetterAPoisonOrderShowsTheArithmetic) {
    auto document = minimal();
    document["drain_timeout_s"] = 3;
    document["producers"] = {{"poison_ratio", 0.01}};
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_EQ(problems[0],
              "drain_timeout_s: 3 s is too short to dead-letter an order group 'g' keeps failing: "
              "that takes up to groups.0.claim.max_deliveries 5 x (min_idle_ms 1000 + "
              "interval_ms 200) = 6 s after its first delivery");
    document["drain_timeout_s"] = 6;
    EXPECT_TRUE(problems_of(document).empty());
    // Without a claim loop nothing is dead-lettered: the poison gate judges that, not the drain.
    document["drain_timeout_s"] = 3;
    document["groups"][0]["claim"] = {{"enabled", false}};
    EXPECT_TRUE(problems_of(document).empty());
}

TEST(WorkloadChecks, DrainTooShortToClaimWhatAFaultOrphansIsRefused) {
    auto document = minimal();
    document["drain_timeout_s"] = 1;
    document["chaos"] = {{"events", {{{"fault", "kill"}, {"target", "g/any"}, {"every_s", 1}}}}};
    auto problems = problems_of(document);
    ASSERT_EQ(problems.size(), 1U) << joined(problems);
    EXPECT_TRUE(has_problem_starting(problems, "drain_timeout_s: 1 s is too short to claim"))
        << joined(problems);
}

TEST(WorkloadChecks, WindowsOnlyWhereTheFaultAndTheAckModeCanMeetThem) {
    auto document = minimal();
    document["chaos"] = {
        {"events",
         {{{"fault", "kill"}, {"target", "g/any"}, {"at_s", 1}, {"window", "applied-unacked"}},
          {{"fault", "stop"}, {"target", "g/any"}, {"at_s", 1}, {"window", "processing"}},
          {{"fault", "pause"}, {"target", "g/1"}, {"at_s", 1}, {"window", "sometime"}}}}};
    auto problems = problems_of(document);
    EXPECT_TRUE(has_problem_starting(problems, "chaos.events.2.window: expected one of any, "))
        << joined(problems);
    document["chaos"]["events"].erase(2);
    problems = problems_of(document);
    EXPECT_EQ(problems,
              (std::vector<std::string>{
                  "chaos.events.0.window: applied-unacked happens only in groups with ack: after, "
                  "and the target 'g/any' has none",
                  "chaos.events.1.window: only kill and pause aim at a window of the batch"}));
    document["groups"][0]["ack"] = "after";
    document["chaos"]["events"].erase(1);
    EXPECT_TRUE(problems_of(document).empty()) << joined(problems_of(document));
}

TEST(WorkloadChecks, RetentionIsRefusedOnAStreamNamedByKey) {
    auto document = minimal();
    document["stream"] = {{"key", "orders"}, {"retention", {{"mode", "safe"}}}};
    EXPECT_TRUE(has_problem_starting(problems_of(document), "stream.retention.mode: trims"));
}

TEST(WorkloadChecks, MinProducedOkCannotBeSwitchedOff) {
    auto document = minimal();
    document["gates"] = {{"min_produced_ok", 0}};
    EXPECT_TRUE(has_problem_starting(problems_of(document), "gates.min_produced_ok"));
    document["gates"] = {{"min_produced_ok", nullptr}};
    EXPECT_TRUE(has_problem_starting(problems_of(document), "gates.min_produced_ok"));
}

TEST(WorkloadChecks, FaultsThatCanOnlyComeDueAfterTheProducersStopAreRefused) {
    auto document = minimal();
    document["duration_s"] = 10;
    document["chaos"] = {
        {"events",
         {{{"fault", "kill"}, {"target", "g/any"}, {"at_s", 10}},
          {{"fault", "pause"}, {"target", "g/any"}, {"every_s", 2}, {"start_s", 12}},
          {{"fault", "stop"}, {"target", "g/any"}, {"every_s", 2}, {"start_s", 3}, {"until_s", 2}},
          {{"fault", "slow"}, {"target", "g/any"}, {"at_s", 9.5}}}}};
    EXPECT_EQ(problems_of(document),
              (std::vector<std::string>{
                  "chaos.events.0.at_s: 10 s is not before the producers stop (duration_s 10): "
                  "the fault would never happen",
                  "chaos.events.1.start_s: 12 s is not before the producers stop (duration_s "
                  "10): the fault would never happen",
                  "chaos.events.2.until_s: must be after start_s, or 0 (until the producers "
                  "stop)"}));
    // A run limited by its order count has no length known in advance.
    document["producers"] = {{"orders", 1000}};
    document["chaos"]["events"].erase(2);
    EXPECT_TRUE(problems_of(document).empty()) << joined(problems_of(document));
}

TEST(WorkloadChecks, TargetIndexMustNameAConsumerOfTheGroup) {
    auto document = minimal();
    document["groups"][0]["consumers"] = 2;
    for (const auto& [target, problem] : std::vector<std::pair<std::string, std::string>>{
             {"g/01", "chaos.events.0.target: index '01' has a leading zero"},
             {"g/3", "chaos.events.0.target: no consumer 3 in 'g' (it has 2)"},
             {"g/0", "chaos.events.0.target: no consumer 0 in 'g' (it has 2)"},
             {"g/2", ""}}) {
        document["chaos"] = {{"events", {{{"fault", "kill"}, {"target", target}, {"at_s", 1}}}}};
        auto problems = problems_of(document);
        if (problem.empty()) {
            EXPECT_TRUE(problems.empty()) << target << ": " << joined(problems);
        } else {
            EXPECT_EQ(problems, std::vector<std::string>{problem}) << target;
        }
    }
}
