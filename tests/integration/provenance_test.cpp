// A report says what produced it (DESIGN §9.1), and its summary.md says what the report says:
// real runs against a real redis-server, every field checked against its source (git, the
// kernel, /proc, the server's INFO and CONFIG).
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "harness/redis/embedded_server.hpp"
#include "harness/redis/info.hpp"
#include "tests/support/harness_process.hpp"

namespace sh::testing {
namespace {

using nlohmann::json;

constexpr const char* password = "pw-provenance-4e1b";

std::string command_output(const std::string& command) {
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buffer[256];
        while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
        ::pclose(pipe);
    }
    while (!output.empty() && output.back() == '\n') output.pop_back();
    return output;
}

std::string first_cpuinfo_model() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    }
    return "";
}

class Provenance : public ::testing::Test {
  protected:
    void SetUp() override {
        redis::Connection admin(server_.endpoint(), {});
        admin.command({"CONFIG", "SET", "appendfsync", "always"});
        admin.command({"CONFIG", "SET", "maxmemory", "536870912"});
        admin.command({"CONFIG", "SET", "requirepass", password});
    }
    std::string url_with_password() const {
        auto url = server_.endpoint().to_url();  // redis://127.0.0.1:PORT
        return "redis://:" + std::string(password) + "@" + url.substr(url.find("://") + 3);
    }
    redis::EmbeddedServer server_{{}};
};

TEST_F(Provenance, EveryFieldIsPresentAndTrue) {
    auto run =
        run_harness({"run", workload_path("smoke.json"), "--redis", url_with_password(), "--set",
                     "duration_s=2", "--tag", "branch=feature/x", "--tag", "ci.job=42"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();
    const auto& provenance = report.at("provenance");

    const auto& build = provenance.at("build");
    auto source = std::string(STREAMHARNESS_SOURCE_DIR);
    EXPECT_EQ(build.at("commit"), command_output("git -C '" + source + "' rev-parse HEAD"));
    EXPECT_EQ(
        build.at("commit_dirty").get<bool>(),
        !command_output("git -C '" + source + "' status --porcelain --untracked-files=no").empty());
    EXPECT_EQ(build.at("build_type"), STREAMHARNESS_BUILD_TYPE);
    EXPECT_FALSE(build.at("compiler").get<std::string>().empty());

    const auto& host = provenance.at("host");
    char hostname[256] = {};
    ::gethostname(hostname, sizeof hostname - 1);
    EXPECT_EQ(host.at("hostname"), hostname);
    EXPECT_EQ(host.at("cores"), std::thread::hardware_concurrency());
    utsname system{};
    ::uname(&system);
    EXPECT_EQ(host.at("kernel"),
              std::string(system.sysname) + " " + system.release + " " + system.machine);
    if (auto model = first_cpuinfo_model(); !model.empty()) {
        EXPECT_EQ(host.at("cpu_model"), model);
    }

    redis::Connection admin(server_.endpoint(), {});
    admin.command({"AUTH", password});
    const auto& redis = provenance.at("redis");
    EXPECT_EQ(redis.at("version"), redis::info_field(admin, "server", "redis_version"));
    EXPECT_EQ(redis.at("mode"), "standalone");
    EXPECT_EQ(redis.at("maxmemory_bytes"), 536870912);
    EXPECT_EQ(redis.at("maxmemory_policy"), "noeviction");
    // A user's server is sent no CONFIG (not in the least-privilege grant): unknown, not guessed.
    EXPECT_TRUE(redis.at("appendfsync").is_null());
    EXPECT_TRUE(redis.at("io_threads").is_null());
    EXPECT_EQ(redis.at("persistence"), report.at("environment").at("persistence"));

    EXPECT_EQ(provenance.at("overrides"), json({"duration_s=2"}));
    EXPECT_EQ(provenance.at("tags"), json({{"branch", "feature/x"}, {"ci.job", "42"}}));
    auto line = provenance.at("command_line").get<std::vector<std::string>>();
    ASSERT_GE(line.size(), 12u);
    EXPECT_EQ(line[1], "run");
    auto redacted_url = "redis://:***@" + server_.endpoint().to_url().substr(8);
    EXPECT_NE(std::find(line.begin(), line.end(), redacted_url), line.end());
    EXPECT_NE(std::find(line.begin(), line.end(), "branch=feature/x"), line.end());
    for (const char* file : {"report.json", "report.html", "junit.xml", "summary.md"}) {
        EXPECT_EQ(read_text_file(run.out_dir / file).find(password), std::string::npos) << file;
    }

    std::regex utc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
    auto finished = report.at("finished_at").get<std::string>();
    EXPECT_TRUE(std::regex_match(finished, utc)) << finished;
    EXPECT_GE(finished, report.at("started_at").get<std::string>());
}

// The embedded server is the harness's own: its configuration is read with CONFIG GET.
TEST(ProvenanceOfTheEmbeddedServer, NamesItsAppendfsyncAndIoThreads) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--set", "duration_s=1", "--set",
                            "persistence=\"aof-always\""});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto report = run.report();
    const auto& redis = report.at("provenance").at("redis");
    EXPECT_EQ(redis.at("appendfsync"), "always");
    EXPECT_EQ(redis.at("io_threads"), 1);  // redis-server's default: the harness sets none
    EXPECT_EQ(redis.at("maxmemory_bytes"), 0);
    EXPECT_EQ(redis.at("persistence"), report.at("environment").at("persistence"));
    EXPECT_EQ(redis.at("version"), report.at("environment").at("redis_version"));
}

// A token handed to an external consumer with --set is hidden in the command line, and so in
// the workload the report shows; the consumer still gets it.
TEST(ConsumerEnv, ItsValuesAreWrittenToNoReport) {
    auto run = run_harness({"run", workload_path("external-at-least-once.json"), "--set",
                            "duration_s=1", "--set", "chaos.events=[]", "--set",
                            "groups.0.consumer.env.API_TOKEN=tok-5ecret-81f"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto consumer = run.report().at("workload").at("groups").at(0).at("consumer");
    EXPECT_EQ(consumer.at("env"), json({{"API_TOKEN", "***"}, {"WORK_MS", "***"}}));
    for (const char* file : {"report.json", "report.html", "junit.xml", "summary.md"}) {
        EXPECT_EQ(read_text_file(run.out_dir / file).find("tok-5ecret-81f"), std::string::npos)
            << file;
    }
}

TEST(Tags, AMalformedOrRepeatedTagIsRefusedBeforeAnythingRuns) {
    auto bad = run_harness({"run", workload_path("smoke.json"), "--tag", "no-value"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--tag no-value: expected key=value"), std::string::npos) << bad.err;
    auto twice =
        run_harness({"capacity", workload_path("smoke.json"), "--tag", "k=1", "--tag", "k=2"});
    EXPECT_EQ(twice.exit_code, 2);
    EXPECT_NE(twice.err.find("--tag k: given twice"), std::string::npos) << twice.err;
    EXPECT_FALSE(std::filesystem::exists(bad.out_dir / "report.json"));
}

// The cells of the Markdown table rows that start with `| first |`.
std::vector<std::vector<std::string>> table_rows(const std::string& markdown,
                                                 const std::string& first) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(markdown);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("| " + first + " |", 0) != 0) continue;
        std::vector<std::string> cells;
        std::istringstream parts(line.substr(1));
        std::string cell;
        while (std::getline(parts, cell, '|')) {
            cells.push_back(cell.substr(1, cell.size() - 2));
        }
        rows.push_back(cells);
    }
    return rows;
}

void expect_number(const std::string& cell, const json& value, const std::string& what) {
    ASSERT_TRUE(value.is_number()) << what;
    double expected = value.get<double>();
    EXPECT_NEAR(std::stod(cell), expected, std::abs(expected) * 1e-5 + 1e-9) << what;
}

TEST(SummaryMarkdown, ItsNumbersAreTheReportsNumbers) {
    // A chaos run whose p99 gate cannot pass: failed gates, groups and faults all have rows.
    auto run = run_harness({"run", workload_path("chaos.json"), "--set", "duration_s=8", "--set",
                            "gates.max_p99_ms=0.001", "--tag", "suite=summary"});
    ASSERT_EQ(run.exit_code, 1) << run.err;
    auto report = run.report();
    auto markdown = read_text_file(run.out_dir / "summary.md");
    EXPECT_NE(markdown.find("## streamharness chaos: FAIL"), std::string::npos) << markdown;
    EXPECT_NE(markdown.find(report.at("run_id").get<std::string>()), std::string::npos);
    EXPECT_NE(markdown.find("[report.html](report.html)"), std::string::npos);
    EXPECT_NE(markdown.find("`suite=summary`"), std::string::npos);

    auto gates = table_rows(markdown, "max_p99_ms");
    std::size_t failed = 0;
    for (const auto& gate : report.at("gates")) {
        if (gate.at("passed").get<bool>()) continue;
        ++failed;
        ASSERT_EQ(gate.at("gate"), "max_p99_ms") << gate.dump();
        auto row = std::find_if(gates.begin(), gates.end(),
                                [&](const auto& cells) { return cells[1] == gate.at("group"); });
        ASSERT_NE(row, gates.end()) << markdown;
        expect_number((*row)[2], gate.at("actual"), "gate actual");
        expect_number((*row)[3], gate.at("limit"), "gate limit");
    }
    EXPECT_EQ(failed, 2u);
    EXPECT_EQ(gates.size(), failed);

    for (const auto& [name, verdict] : report.at("verification").items()) {
        auto rows = table_rows(markdown, name);
        ASSERT_EQ(rows.size(), 1u) << markdown;
        const auto& cells = rows.front();
        ASSERT_EQ(cells.size(), 9u);
        const auto& summary = report.at("summary").at("groups").at(name);
        const auto& latency = summary.at("latency").at("end_to_end");
        expect_number(cells[1], verdict.at("applied"), name + " applied");
        expect_number(cells[2], summary.at("applied_per_s"), name + " applied/s");
        expect_number(cells[3], latency.at("p50_ms"), name + " p50");
        expect_number(cells[4], latency.at("p99_ms"), name + " p99");
        expect_number(cells[5], verdict.at("lost"), name + " lost");
        expect_number(cells[6], verdict.at("duplicated"), name + " duplicated");
        expect_number(cells[7], verdict.at("dead_lettered"), name + " dead-lettered");
        expect_number(cells[8], verdict.at("pending_left"), name + " pending left");
    }

    const auto& landing = report.at("chaos").at("summary").at("landing");
    ASSERT_FALSE(landing.empty());
    for (const auto& [kind, counts] : landing.items()) {
        auto rows = table_rows(markdown, kind);
        ASSERT_EQ(rows.size(), 1u) << kind << "\n" << markdown;
        expect_number(rows.front()[1], counts.at("scheduled"), kind + " scheduled");
        expect_number(rows.front()[2], counts.at("landed"), kind + " landed");
    }
    const auto& produced = report.at("summary").at("produced");
    std::ostringstream produced_line;
    produced_line << "Produced " << produced.at("ok").get<std::uint64_t>() << " orders";
    EXPECT_NE(markdown.find(produced_line.str()), std::string::npos) << markdown;
}

TEST(SummaryMarkdown, ARunThatCouldNotFinishReadsErrorAndNoGatePassed) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", "redis://127.0.0.1:1"});
    ASSERT_EQ(run.report().at("verdict"), "error") << run.err;
    auto markdown = read_text_file(run.out_dir / "summary.md");
    EXPECT_NE(markdown.find("## streamharness smoke: ERROR"), std::string::npos) << markdown;
    EXPECT_EQ(markdown.find("passed"), std::string::npos) << markdown;
}

}  // namespace
}  // namespace sh::testing
