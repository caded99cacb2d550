// The CI-gate and capacity-planning outputs, from real runs on embedded redis-servers:
// JUnit XML validated against the common schema, --repeat aggregates, and the capacity search
// whose answer holds when run again on its own.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>

#include "harness/measure/histogram.hpp"
#include "tests/support/harness_process.hpp"

using nlohmann::json;
using sh::testing::read_text_file;
using sh::testing::run_harness;
using sh::testing::workload_path;

namespace {

json read_json(const std::filesystem::path& path) {
    return json::parse(read_text_file(path));
}

std::uint64_t histogram_count(const json& serialised) {
    auto histogram = std::make_unique<sh::measure::Histogram>();
    histogram->merge_json(serialised);
    return histogram->count();
}

// Slow consumers (1 ms per order, 2 per group: about 2000 orders/s per group) give the seed
// workload a knee low enough to find in a few short steps.
const std::vector<std::string> slow_consumers = {"--set", "groups.0.service_time.mean_us=1000",
                                                 "--set", "groups.1.service_time.mean_us=1000"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

}  // namespace

TEST(JunitXml, AFailedGateValidatesAgainstTheJunitSchemaAndCarriesTheNumbers) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--set", "duration_s=2", "--set",
                            "gates.max_p99_ms=0.001"});
    ASSERT_EQ(run.exit_code, 1) << run.err;
    auto junit = run.out_dir / "junit.xml";
    auto schema = std::string(STREAMHARNESS_SOURCE_DIR) + "/tests/data/junit.xsd";
    auto validation = run.out_dir / "xmllint.txt";
    auto command = "xmllint --noout --schema '" + schema + "' '" + junit.string() + "' >'" +
                   validation.string() + "' 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << read_text_file(validation);

    auto report = run.report();
    auto xml = read_text_file(junit);
    for (const auto& gate : report["gates"]) {
        if (gate["gate"] != "max_p99_ms") continue;
        ASSERT_FALSE(gate["passed"].get<bool>());
        std::ostringstream expected;
        expected.precision(6);
        expected << "<failure message=\"max_p99_ms [" << gate["group"].get<std::string>()
                 << "]: actual " << gate["actual"].get<double>() << ", limit 0.001\"";
        EXPECT_NE(xml.find(expected.str()), std::string::npos) << expected.str() << "\n" << xml;
    }
    EXPECT_NE(xml.find("failures=\"2\""), std::string::npos) << xml;  // one per group
    // Each suite: the run's time (load and drain) and where the numbers came from.
    std::ostringstream seconds;
    seconds << std::fixed << std::setprecision(3)
            << report["summary"]["produced"]["producing_s"].get<double>() +
                   report["summary"]["drain"]["seconds"].get<double>();
    EXPECT_NE(xml.find("errors=\"0\" skipped=\"0\" time=\"" + seconds.str() + "\""),
              std::string::npos)
        << seconds.str() << "\n"
        << xml;
    EXPECT_NE(xml.find("<property name=\"run_id\" value=\"" + report["run_id"].get<std::string>() +
                       "\"/>"),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<property name=\"redis_version\" value=\"" +
                       report["environment"]["redis_version"].get<std::string>() + "\"/>"),
              std::string::npos)
        << xml;
}

TEST(Repeat, RunsTheWorkloadNTimesAndAggregatesTheRuns) {
    auto run =
        run_harness({"run", workload_path("smoke.json"), "--set", "duration_s=2", "--repeat", "2"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto aggregate = run.report();
    EXPECT_EQ(aggregate["kind"], "aggregate");
    EXPECT_EQ(aggregate["verdict"], "pass");
    ASSERT_EQ(aggregate["repeat"]["count"], 2);
    std::uint64_t produced = 0;
    std::uint64_t latencies = 0;
    for (const auto& line : aggregate["repeat"]["runs"]) {
        std::filesystem::path path = line["report"].get<std::string>();
        auto report = read_json(path);
        EXPECT_EQ(line["run_id"], report["run_id"]);
        EXPECT_TRUE(std::filesystem::exists(path.parent_path() / "report.html"));
        EXPECT_TRUE(std::filesystem::exists(path.parent_path() / "junit.xml"));
        produced += report["summary"]["produced"]["ok"].get<std::uint64_t>();
        latencies += histogram_count(report["histograms"]["groups"]["score"]["first_delivery"]);
    }
    EXPECT_EQ(aggregate["summary"]["produced"]["ok"], produced);
    EXPECT_EQ(aggregate["verification"]["score"]["applied"], produced);
    EXPECT_EQ(histogram_count(aggregate["histograms"]["groups"]["score"]["first_delivery"]),
              latencies);
    EXPECT_TRUE(std::filesystem::exists(run.out_dir / "report.html"));
    EXPECT_NE(run.out.find("aggregate of 2 runs"), std::string::npos) << run.out;
    // The Redis the runs measured, for compare's environment warnings and summary.md.
    auto first = read_json(aggregate["repeat"]["runs"][0]["report"].get<std::string>());
    ASSERT_TRUE(first["provenance"]["redis"]["version"].is_string()) << first["provenance"];
    EXPECT_EQ(aggregate["provenance"]["redis"], first["provenance"]["redis"]);
}

TEST(Capacity, FindsARateOnTheSeedWorkloadThatMeetsTheSloWhenRunAgain) {
    auto search =
        run_harness(with({"capacity", workload_path("orders.json"), "--step-duration-s", "3",
                          "--min-rate", "500", "--resolution", "40%", "--slo-p99-ms", "50"},
                         slow_consumers));
    ASSERT_EQ(search.exit_code, 0) << search.out << search.err;
    auto capacity = read_json(search.out_dir / "capacity.json");
    EXPECT_TRUE(std::filesystem::exists(search.out_dir / "capacity.html"));
    auto rate = capacity["answer"]["rate"].get<double>();
    EXPECT_TRUE(capacity["answer"]["confirmed"].get<bool>());
    EXPECT_GE(rate, 500);
    EXPECT_LT(rate, 2000)
        << "two consumers at 1 ms per order cannot apply 2000/s with p99 <= 50 ms";
    EXPECT_GT(capacity["knee"]["first_failing_rate"].get<double>(), rate);
    for (const auto& step : capacity["steps"]) {
        EXPECT_TRUE(std::filesystem::exists(step["report"].get<std::string>())) << step.dump();
        EXPECT_EQ(step["passed"].get<bool>(),
                  step["worst_p99_ms"].get<double>() <= 50 && step["lost"] == 0 &&
                      step["verdict"] == "pass" && step["max_lag"].get<std::int64_t>() <= 1000 &&
                      step["achieved_per_s"].get<double>() >= 0.9 * step["rate"].get<double>())
            << step.dump();
    }
    std::ostringstream answer;
    answer << "capacity: " << rate << " orders/s meets the SLO";
    EXPECT_NE(search.out.find(answer.str()), std::string::npos) << search.out;

    std::ostringstream rate_override;
    rate_override << "producers.rate=" << rate;
    auto again = run_harness(with({"run", workload_path("orders.json"), "--set", "duration_s=3",
                                   "--set", rate_override.str()},
                                  slow_consumers));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto report = again.report();
    for (const auto* group : {"score", "push"}) {
        EXPECT_LE(
            report["summary"]["groups"][group]["latency"]["end_to_end"]["p99_ms"].get<double>(), 50)
            << group;
        EXPECT_EQ(report["verification"][group]["lost"], 0) << group;
    }
}

TEST(Capacity, FindsTheFewestConsumersPerGroupForARate) {
    // 3000 orders/s at 1 ms per order needs more than 3 consumers per group (3 would be 100 %
    // busy, so their backlog grows without bound).
    auto search = run_harness(
        with({"capacity", workload_path("orders.json"), "--search", "consumers", "--rate", "3000",
              "--step-duration-s", "3", "--slo-p99-ms", "50", "--max-consumers", "8"},
             slow_consumers));
    ASSERT_EQ(search.exit_code, 0) << search.out << search.err;
    auto capacity = read_json(search.out_dir / "capacity.json");
    EXPECT_EQ(capacity["search"], "consumers");
    auto consumers = capacity["answer"]["consumers"].get<int>();
    EXPECT_GE(consumers, 4);
    EXPECT_LE(consumers, 8);
    EXPECT_TRUE(capacity["answer"]["confirmed"].get<bool>());
    int passes_at_answer = 0;
    for (const auto& step : capacity["steps"]) {
        auto report = read_json(step["report"].get<std::string>());
        EXPECT_EQ(report["workload"]["groups"][0]["consumers"], step["consumers"]);
        EXPECT_EQ(report["workload"]["groups"][1]["consumers"], step["consumers"]);
        EXPECT_EQ(report["workload"]["producers"]["rate"], 3000.0);
        if (step["consumers"].get<int>() <= 3) {
            EXPECT_FALSE(step["passed"].get<bool>()) << step.dump();
        }
        if (step["consumers"] == consumers && step["passed"].get<bool>()) ++passes_at_answer;
    }
    EXPECT_GE(passes_at_answer, 2);  // found, then confirmed by a run of its own
    EXPECT_NE(search.out.find("consumers per group meet the SLO at 3000 orders/s"),
              std::string::npos)
        << search.out;
}
