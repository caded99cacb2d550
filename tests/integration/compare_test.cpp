// `streamharness compare` on real reports: the smoke workload run once as it is and once with
// the score group slowed down (same workload name, a --set override), the way a slower build
// shows up in CI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

using nlohmann::json;
using sh::testing::HarnessRun;
using sh::testing::read_text_file;
using sh::testing::run_harness;
using sh::testing::workload_path;
using sh::testing::write_temp_file;

namespace {

bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

json read_report(const std::string& path) {
    std::ifstream file(path);
    return json::parse(file);
}

// The report at `path` with a provenance block (as the schema fixes it) whose io_threads and CPU
// are the given ones, saved under a new name: the comparison reads only the file.
std::string with_environment(const std::string& path, int io_threads, const std::string& cpu,
                             const std::string& name) {
    auto report = read_report(path);
    report["provenance"]["host"] = {
        {"hostname", "ci-1"}, {"cpu_model", cpu}, {"cores", 2}, {"kernel", "Linux 6.1.0 x86_64"}};
    report["provenance"]["redis"] = {{"version", "7.0.15"},     {"mode", "standalone"},
                                     {"persistence", "none"},   {"appendfsync", "everysec"},
                                     {"maxmemory_bytes", 0},    {"maxmemory_policy", "noeviction"},
                                     {"io_threads", io_threads}};
    report["provenance"]["build"] = {{"commit", name}, {"build_type", "RelWithDebInfo"}};
    return sh::testing::write_temp_file(name, report.dump());
}

// "metric [group]" -> cells of the Markdown table's rows.
std::map<std::string, std::vector<std::string>> markdown_table(const std::string& markdown) {
    std::map<std::string, std::vector<std::string>> rows;
    std::istringstream lines(markdown);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("| ", 0) != 0 || line.rfind("| metric |", 0) == 0) continue;
        std::vector<std::string> cells;
        std::istringstream row(line.substr(1));
        std::string cell;
        while (std::getline(row, cell, '|')) cells.push_back(cell.substr(1, cell.size() - 2));
        rows[cells.at(0) + " [" + cells.at(1) + "]"] = cells;
    }
    return rows;
}

std::string fixed(double value, int decimals) {
    std::ostringstream text;
    text.setf(std::ios::fixed);
    text.precision(decimals);
    text << value;
    return text.str();
}

// "+4.5 %" -> 4.5
double percent_of(const std::string& cell) {
    return std::stod(cell.substr(0, cell.find(' ')));
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
    renamed["run_id"] = "another-run";  // a copy of the same run would be refused as such
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

TEST_F(CompareRuns, MarkdownTableHoldsTheNumbersOfBothReportsAndTheirChange) {
    auto compare = run_harness({"compare", base(), slowed(), "--markdown"});
    auto as_json = run_harness({"compare", base(), slowed(), "--json"});
    EXPECT_EQ(compare.exit_code, as_json.exit_code) << compare.out << compare.err;
    auto comparison = json::parse(as_json.out);
    EXPECT_EQ(compare.out.rfind(std::string("### streamharness compare: ") +
                                    (compare.exit_code == 1 ? "REGRESSED" : "no regression"),
                                0),
              0u)
        << compare.out;
    auto table = markdown_table(compare.out);
    auto base_report = read_report(base());
    auto slowed_report = read_report(slowed());
    for (const char* group : {"score", "push"}) {
        for (auto [metric, path, decimals] :
             {std::tuple{
                  "applied_per_s",
                  json::json_pointer(std::string("/summary/groups/") + group + "/applied_per_s"),
                  1},
              std::tuple{"p50_ms",
                         json::json_pointer(std::string("/summary/groups/") + group +
                                            "/latency/end_to_end/p50_ms"),
                         2},
              std::tuple{"p99_ms",
                         json::json_pointer(std::string("/summary/groups/") + group +
                                            "/latency/end_to_end/p99_ms"),
                         2}}) {
            auto label = std::string(metric) + " [" + group + "]";
            ASSERT_TRUE(table.contains(label)) << label << "\n" << compare.out;
            const auto& cells = table[label];
            double from = base_report.at(path).get<double>();
            double to = slowed_report.at(path).get<double>();
            EXPECT_EQ(cells.at(2), fixed(from, decimals)) << label;
            EXPECT_EQ(cells.at(3), fixed(to, decimals)) << label;
            if (from > 0) {  // the change cell rounds to 0.1 % below 10 % and to 1 % above
                EXPECT_NEAR(percent_of(cells.at(4)), (to - from) / from * 100, 0.5) << label;
            }
        }
    }
    // Each row's status word is the JSON's, the regressions in bold.
    for (const auto& row : comparison.at("rows")) {
        auto group = row.at("group").is_string() ? row.at("group").get<std::string>() : "-";
        auto status = row.at("status").get<std::string>();
        EXPECT_EQ(table.at(row.at("metric").get<std::string>() + " [" + group + "]").at(6),
                  status == "regressed" ? "**regressed**" : status);
    }
    EXPECT_EQ(table.at("produced_per_s [-]").at(2),
              fixed(base_report.at("summary").at("produced").at("ok_per_s").get<double>(), 1));
}

TEST_F(CompareRuns, JsonWarnsOfADifferentEnvironmentAndStaysSilentWhenItIsTheSame) {
    auto same_base = with_environment(base(), 1, "EPYC 7B13", "same-base.json");
    auto same_new = with_environment(slowed(), 1, "EPYC 7B13", "same-new.json");
    auto compare = run_harness({"compare", same_base, same_new, "--json"});
    auto comparison = json::parse(compare.out);
    EXPECT_EQ(comparison.at("environment"), json::array()) << compare.out;
    EXPECT_EQ(comparison.at("warnings"), json::array()) << compare.out;

    auto other_new = with_environment(slowed(), 4, "Xeon 8375C", "other-new.json");
    auto differing = run_harness({"compare", same_base, other_new, "--json"});
    EXPECT_EQ(differing.exit_code, compare.exit_code) << "warnings change no exit code";
    comparison = json::parse(differing.out);
    EXPECT_EQ(comparison.at("environment"),
              json::parse(R"([{"field": "provenance.host.cpu_model", "base": "EPYC 7B13",
                               "candidate": "Xeon 8375C"},
                              {"field": "provenance.redis.io_threads", "base": 1,
                               "candidate": 4}])"));
    EXPECT_EQ(comparison.at("warnings").size(), 2u) << differing.out;
}

TEST_F(CompareRuns, CopiedReportUnderAnotherNameIsRefusedWithExit2) {
    auto copy = sh::testing::write_temp_file("copied-report.json", read_text_file(base()));
    auto compare = run_harness({"compare", base(), copy});
    EXPECT_EQ(compare.exit_code, 2) << compare.out << compare.err;
    auto run_id = read_report(base()).at("run_id").get<std::string>();
    EXPECT_TRUE(mentions(compare.err, base() + " and " + copy + " are the same run (run id " +
                                          run_id + ", started at "))
        << compare.err;
    EXPECT_FALSE(mentions(compare.out, "no regression")) << compare.out;
}

// A link is a report under another name too: only the same path given twice is allowed.
TEST_F(CompareRuns, LinkedReportUnderAnotherNameIsRefusedWithExit2) {
    auto directory = std::filesystem::path(base()).parent_path();
    auto symlink = (directory / "baseline-symlink.json").string();
    auto hard_link = (directory / "baseline-hard-link.json").string();
    std::filesystem::remove(symlink);
    std::filesystem::remove(hard_link);
    std::filesystem::create_symlink(std::filesystem::absolute(base()), symlink);
    std::filesystem::create_hard_link(base(), hard_link);
    for (const auto& link : {symlink, hard_link}) {
        auto compare = run_harness({"compare", link, base()});
        EXPECT_EQ(compare.exit_code, 2) << link << "\n" << compare.out << compare.err;
        EXPECT_TRUE(mentions(compare.err, " are the same run (run id ")) << compare.err;
        EXPECT_FALSE(mentions(compare.out, "no regression")) << compare.out;
    }
    auto twice = run_harness({"compare", base(), base()});
    EXPECT_EQ(twice.exit_code, 0) << twice.out << twice.err;
}

TEST_F(CompareRuns, HtmlPageDrawsBothRunsOnTheSameAxesFetchingNothing) {
    auto page_path =
        (std::filesystem::path(base()).parent_path() / "compare" / "cmp.html").string();
    auto compare = run_harness({"compare", base(), slowed(), "--html", page_path, "--markdown"});
    EXPECT_LE(compare.exit_code, 1) << compare.out << compare.err;
    EXPECT_EQ(compare.out.rfind("### streamharness compare", 0), 0u) << compare.out;
    auto page = read_text_file(page_path);
    ASSERT_FALSE(page.empty()) << page_path;
    // data-series -> its points, as the page lists them in data-values ("x,y x,y ...")
    std::map<std::string, std::vector<std::pair<double, std::string>>> series;
    std::regex path(R"re(data-series="([^"]+)" data-values="([^"]*)")re");
    for (std::sregex_iterator it(page.begin(), page.end(), path), end; it != end; ++it) {
        EXPECT_EQ(series.count((*it)[1].str()), 0u) << "one line per series: " << (*it)[1];
        auto& points = series[(*it)[1].str()];
        std::istringstream values((*it)[2].str());
        std::string point;
        while (values >> point) {
            auto comma = point.find(',');
            points.emplace_back(std::stod(point.substr(0, comma)), point.substr(comma + 1));
        }
    }
    // One point per timeline row but the drain's last when it lasted a sliver of a second.
    auto rows_of = [](const std::string& path) {
        std::size_t rows = 0;
        auto report = read_report(path);
        for (const auto& row : report.at("timeline")) {
            rows += row.contains("t_s") && row.at("span_s").get<double>() >= 0.5;
        }
        return rows;
    };
    for (std::size_t g = 0; g < 2; ++g) {
        auto suffix = "-" + std::to_string(g) + "/";
        for (const char* chart : {"throughput", "p99"}) {
            EXPECT_EQ(series[chart + suffix + "base"].size(), rows_of(base())) << chart << g;
            EXPECT_EQ(series[chart + suffix + "new"].size(), rows_of(slowed())) << chart << g;
        }
        // Thousands of orders: the curve reaches p99.9 and stops below 100 %.
        for (const char* side : {"base", "new"}) {
            const auto& curve = series["latency" + suffix + side];
            ASSERT_GE(curve.size(), 18u) << side;
            EXPECT_EQ(curve.front().first, 0);
            EXPECT_GE(curve.back().first, 99.9);
            EXPECT_LE(curve.back().first, 99.99);
        }
    }
    EXPECT_EQ(series.size(), 12u) << "3 charts of 2 series per group";
    // The percentile curve passes through the report's own p50 at x = 50.
    auto p50 = read_report(slowed())
                   .at("summary")
                   .at("groups")
                   .at("score")
                   .at("latency")
                   .at("end_to_end")
                   .at("p50_ms")
                   .get<double>();
    const auto& curve = series["latency-0/new"];
    auto at_50 = std::find_if(curve.begin(), curve.end(),
                              [](const auto& point) { return point.first == 50; });
    ASSERT_NE(at_50, curve.end());
    EXPECT_DOUBLE_EQ(std::stod(at_50->second), p50);
    EXPECT_TRUE(mentions(page, ">base</text>") && mentions(page, ">new</text>"));
    EXPECT_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?https?:)")))
        << "fetches nothing";
}
