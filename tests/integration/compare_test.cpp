// `streamharness compare` on real reports: the smoke workload run once as it is and once with
// the score group slowed down (same workload name, a --set override), the way a slower build
// shows up in CI.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

using nlohmann::json;
using sh::testing::HarnessRun;
using sh::testing::run_harness;
using sh::testing::workload_path;
using sh::testing::write_temp_file;

namespace {

bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

}  // namespace

class CompareRuns : public sh::testing::RedisTest {
  protected:
    // Each run happens once, when a test first needs it (ctest runs every test in a process of
    // its own, so tests that only need the base do not pay for the slowed run).
    static std::string base() {
        static const HarnessRun run = run_smoke({});
        return report_of(run);
    }

    static std::string slowed() {
        // A 25 ms pause after every batch (the seed's Thread.sleep) makes a score order wait
        // about 13 ms at the median instead of well under one: far beyond the base's p99 even on
        // a busy machine. Each consumer still reads up to 40 batches of 20 a second, so the
        // group keeps up with the smoke rate and the run passes.
        static const HarnessRun run = run_smoke({"--set", "groups.0.sleep_after_batch_ms=25"});
        return report_of(run);
    }

  private:
    static HarnessRun run_smoke(const std::vector<std::string>& extra) {
        std::vector<std::string> args{
            "run", workload_path("smoke.json"), "--redis", url(), "--set", "duration_s=3"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_harness(args);
    }

    static std::string report_of(const HarnessRun& run) {
        EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
        return (run.out_dir / "report.json").string();
    }
};

TEST_F(CompareRuns, ReportComparedWithItselfExits0WithNoRegression) {
    auto compare = run_harness({"compare", base(), base()});
    EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
    EXPECT_TRUE(mentions(compare.out, "no regression")) << compare.out;
    EXPECT_FALSE(mentions(compare.out, "REGRESSED")) << compare.out;
}

TEST_F(CompareRuns, SlowedGroupExits1NamingP99AndTheGroup) {
    auto compare = run_harness({"compare", base(), slowed()});
    EXPECT_EQ(compare.exit_code, 1) << compare.out << compare.err;
    EXPECT_TRUE(mentions(compare.out, "REGRESSED: p99_ms [score]: ")) << compare.out;
    EXPECT_TRUE(mentions(compare.out, "workload differs at: groups.0.sleep_after_batch_ms"))
        << compare.out;
}

TEST_F(CompareRuns, JsonOutputListsTheRegressionAndTheWorkloadDifference) {
    auto compare = run_harness({"compare", base(), slowed(), "--json"});
    EXPECT_EQ(compare.exit_code, 1) << compare.out << compare.err;
    auto comparison = json::parse(compare.out);
    EXPECT_TRUE(comparison["regressed"].get<bool>());
    const auto& regressions = comparison["regressions"];
    EXPECT_TRUE(std::any_of(regressions.begin(), regressions.end(), [](const json& regression) {
        return regression.get<std::string>().rfind("p99_ms [score]: ", 0) == 0;
    })) << regressions.dump(2);
    EXPECT_EQ(comparison["workload_differences"], json::array({"groups.0.sleep_after_batch_ms"}));
}

TEST_F(CompareRuns, ToleranceFileLoosensTheGatesAndAFlagOverridesTheFile) {
    // The run-wide drain time is in applied_per_s, so the slowed run may also drop throughput.
    auto loose =
        write_temp_file("loose.json", R"({"max_p99_rise": null, "max_throughput_drop": "100%"})");
    auto compare = run_harness({"compare", base(), slowed(), "--tolerances", loose});
    EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;

    compare =
        run_harness({"compare", base(), slowed(), "--tolerances", loose, "--max-p99-rise", "10%"});
    EXPECT_EQ(compare.exit_code, 1) << compare.out << compare.err;
    EXPECT_TRUE(mentions(compare.out, "REGRESSED: p99_ms [score]: ")) << compare.out;
}

TEST_F(CompareRuns, DifferentWorkloadsExit2UnlessAllowed) {
    std::ifstream base_file(base());
    auto renamed = json::parse(base_file);
    renamed["workload"]["name"] = "other";
    auto other = write_temp_file("other-workload.json", renamed.dump());
    auto compare = run_harness({"compare", base(), other});
    EXPECT_EQ(compare.exit_code, 2) << compare.out << compare.err;
    EXPECT_TRUE(mentions(compare.err,
                         "different workloads (smoke vs other); pass "
                         "--allow-different-workloads"))
        << compare.err;

    compare = run_harness({"compare", base(), other, "--allow-different-workloads"});
    EXPECT_EQ(compare.exit_code, 0) << compare.out << compare.err;
    EXPECT_TRUE(mentions(compare.out, "workload differs at: name")) << compare.out;
}

TEST_F(CompareRuns, UnreadableReportExits2) {
    auto compare = run_harness({"compare", base(), "/nonexistent/report.json"});
    EXPECT_EQ(compare.exit_code, 2) << compare.out << compare.err;
    EXPECT_TRUE(mentions(compare.err, "/nonexistent/report.json")) << compare.err;
}
