// --metrics-listen end to end: a real run on the embedded redis-server, scraped over HTTP while
// it goes (kills and a Redis restart included), checked line by line against the exposition
// format, by the reference parser (Debian's python3-prometheus-client), and against its report.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "harness/os/http_listener.hpp"
#include "harness/os/net.hpp"
#include "harness/os/temp_dir.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/run_inspection.hpp"
#include "tests/support/scrape.hpp"

using sh::testing::BackgroundHarness;
using sh::testing::events_of;
using sh::testing::run_harness;
using sh::testing::workload_path;

namespace {

constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* produced = "streamharness_produced_orders_total";

// Every text given parses with prometheus_client's own parser (the reference for the format).
void expect_reference_parser_accepts(const std::vector<std::string>& texts) {
    sh::os::TempDir dir("live-metrics-scrapes");
    std::string command =
        "/usr/bin/python3 -c '"
        "import sys\n"
        "from prometheus_client.parser import text_string_to_metric_families\n"
        "for path in sys.argv[1:]:\n"
        "    families = list(text_string_to_metric_families(open(path).read()))\n"
        "    assert any(f.name == \"streamharness_produced_orders\" "
        "and f.type == \"counter\" for f in families), path\n"
        "print(len(sys.argv) - 1)' ";
    for (std::size_t i = 0; i < texts.size(); ++i) {
        auto path = dir.path() / ("scrape-" + std::to_string(i) + ".txt");
        std::ofstream(path) << texts[i];
        command += path.string() + " ";
    }
    auto output = dir.path() / "parser.out";
    int status = std::system((command + ">" + output.string() + " 2>&1").c_str());
    EXPECT_EQ(status, 0) << sh::testing::read_text_file(output);
    EXPECT_EQ(sh::testing::read_text_file(output), std::to_string(texts.size()) + "\n");
}

// The phase label of streamharness_run_info, or empty.
std::string phase_of(const sh::testing::Exposition& exposition) {
    for (const auto& [series, value] : exposition.samples) {
        auto at = series.find("phase=\"");
        if (series.rfind("streamharness_run_info{", 0) == 0 && at != std::string::npos) {
            return series.substr(at + 7, series.find('"', at + 7) - at - 7);
        }
    }
    return {};
}

struct Scrapes {
    std::vector<std::string> texts;
    std::vector<sh::testing::Exposition> parsed;
};

// Scrapes until the harness stops listening: each answer must be 200 with the exposition
// format's content type, valid text, and counters no lower than in the scrape before.
Scrapes scrape_while_listening(int port) {
    Scrapes scrapes;
    bool listened = false;
    // Generous: the first answer waits for the binary to start; the rest until it ends.
    for (int attempt = 0; attempt < 3000; ++attempt) {
        sh::testing::HttpReply reply;
        try {
            reply = sh::testing::http_get(port, "/metrics");
        } catch (const std::runtime_error&) {
            if (listened) break;  // the command is over
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        listened = true;
        EXPECT_EQ(reply.status, 200);
        EXPECT_EQ(reply.headers["content-type"], content_type);
        auto exposition = sh::testing::parse_exposition(reply.body);
        for (const auto& problem : exposition.problems) ADD_FAILURE() << problem;
        if (!scrapes.parsed.empty()) {
            const auto& before = scrapes.parsed.back();
            for (const auto& [series, value] : before.samples) {
                auto family = series.substr(0, series.find('{'));
                if (before.types.at(family) != "counter") continue;
                auto now = exposition.samples.find(series);
                if (now == exposition.samples.end()) {
                    ADD_FAILURE() << series << " disappeared";
                } else {
                    EXPECT_GE(now->second, value) << series << " went down";
                }
            }
        }
        scrapes.texts.push_back(reply.body);
        scrapes.parsed.push_back(std::move(exposition));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return scrapes;
}

}  // namespace

TEST(MetricsEndpoint, ScrapedThroughAChaosRunValidAndGrowingAndEndingWithinTheReport) {
    auto port = sh::os::free_loopback_port();
    auto address = "127.0.0.1:" + std::to_string(port);
    BackgroundHarness harness(
        {"run", workload_path("smoke.json"), "--set", "duration_s=7", "--set",
         "persistence=aof-always", "--set",
         // Consumers that take a while per entry hold some when a kill comes.
         R"(groups.0.service_time={"distribution": "exponential", "mean_us": 500})", "--set",
         R"(chaos={"events": [{"fault": "kill", "target": "score/any", "every_s": 1.5,)"
         R"( "start_s": 1, "restart": "same-name"}, {"fault": "redis-restart", "at_s": 3.5}]})",
         // While the server restarts, XADDs fail or lose their reply: counted, not gated.
         "--set", "gates.max_produce_failed=null", "--set", "gates.max_produce_indeterminate=null",
         "--metrics-listen", address},
        {});
    auto scrapes = scrape_while_listening(port);
    auto run = harness.finish();
    ASSERT_LE(run.exit_code, 1) << run.out << run.err;
    EXPECT_NE(run.err.find("live metrics at http://" + address + "/metrics"), std::string::npos)
        << run.err;
    ASSERT_GE(scrapes.parsed.size(), 5u) << "a 7 s run scraped every 200 ms";

    std::set<std::string> phases;
    for (const auto& exposition : scrapes.parsed) phases.insert(phase_of(exposition));
    EXPECT_TRUE(phases.count("load")) << "phases seen: " << phases.size();

    auto report = run.report();
    const auto& last = scrapes.parsed.back();
    auto produced_ok = report["summary"]["produced"]["ok"].get<double>();
    EXPECT_GT(last.samples.at(produced), 0);
    EXPECT_LE(last.samples.at(produced), produced_ok);
    auto kills = static_cast<double>(events_of(report, "kill").size());
    ASSERT_GT(kills, 0);
    // A scrape may come before the last fault's row was taken, never after more faults.
    auto kill_series = "streamharness_faults_injected_total{kind=\"kill\"}";
    ASSERT_TRUE(last.samples.count(kill_series)) << scrapes.texts.back();
    EXPECT_GE(last.samples.at(kill_series), 1);
    EXPECT_LE(last.samples.at(kill_series), kills);
    for (const auto* group : {"score", "push"}) {
        auto applied = "streamharness_applied_orders_total{group=\"" + std::string(group) + "\"}";
        EXPECT_GT(last.samples.at(applied), 0) << group;
        auto p99 = "streamharness_end_to_end_latency_seconds{group=\"" + std::string(group) +
                   "\",window=\"run\",quantile=\"0.99\"}";
        EXPECT_GT(last.samples.at(p99), 0) << group;
    }
    EXPECT_GT(last.samples.at("streamharness_redis_cpu_seconds_total"), 0);
    expect_reference_parser_accepts(scrapes.texts);
    EXPECT_THROW(sh::testing::http_get(port, "/metrics"), std::runtime_error)
        << "the listener stopped with the command";
}

TEST(MetricsEndpoint, AnAddressInUseIsExit3NamingItBeforeAnythingRuns) {
    // Something else already listens there.
    sh::os::HttpListener other({"127.0.0.1", 0}, {"/", "text/plain", [] { return "x"; }});
    auto address = "127.0.0.1:" + std::to_string(other.bound().port);
    for (const char* command : {"run", "capacity"}) {
        auto run = run_harness({command, workload_path("smoke.json"), "--metrics-listen", address});
        EXPECT_EQ(run.exit_code, 3) << command << run.err;
        EXPECT_NE(run.err.find("--metrics-listen: cannot listen on " + address +
                               ": Address already in use"),
                  std::string::npos)
            << run.err;
        EXPECT_FALSE(std::filesystem::exists(run.out_dir)) << "nothing ran";
    }
}

TEST(MetricsEndpoint, AMalformedAddressIsExit2) {
    for (const char* bad : {"9464", "127.0.0.1:", "127.0.0.1:70000", "::1:9464", "host:port"}) {
        for (const char* command : {"run", "capacity"}) {
            auto run = run_harness({command, workload_path("smoke.json"), "--metrics-listen", bad});
            EXPECT_EQ(run.exit_code, 2) << command << " " << bad << run.err;
            EXPECT_NE(run.err.find("--metrics-listen"), std::string::npos) << run.err;
        }
    }
}

// A capacity search is one command: its counters carry over from step to step.
TEST(MetricsEndpoint, ACapacitySearchCountsEveryStepAndShowsWhichRuns) {
    auto port = sh::os::free_loopback_port();
    BackgroundHarness harness(
        {"capacity", workload_path("smoke.json"), "--search", "step", "--min-rate", "200",
         "--step-rate", "200", "--max-rate", "400", "--step-duration-s", "2", "--max-steps", "3",
         "--slo-p99-ms", "1000", "--metrics-listen", "127.0.0.1:" + std::to_string(port)},
        {});
    auto scrapes = scrape_while_listening(port);
    auto run = harness.finish();
    ASSERT_LE(run.exit_code, 1) << run.out << run.err;
    std::ifstream file(run.out_dir / "capacity.json");
    auto capacity = nlohmann::json::parse(file);
    ASSERT_GE(capacity["steps"].size(), 2u);
    double produced_ok = 0;
    double largest_step = 0;
    for (const auto& step : capacity["steps"]) {
        std::ifstream step_file(step["report"].get<std::string>());
        auto ok = nlohmann::json::parse(step_file)["summary"]["produced"]["ok"].get<double>();
        produced_ok += ok;
        largest_step = std::max(largest_step, ok);
    }
    auto last = scrapes.parsed.back().samples.at(produced);
    EXPECT_LE(last, produced_ok);
    EXPECT_GT(last, largest_step) << "the steps' counts add up, none starts from zero";
    std::set<std::string> run_ids;
    for (const auto& exposition : scrapes.parsed) {
        for (const auto& [series, value] : exposition.samples) {
            if (series.rfind("streamharness_run_info{run_id=\"", 0) == 0) run_ids.insert(series);
        }
    }
    EXPECT_GE(run_ids.size(), 2u) << "each step is a run of its own id";
    expect_reference_parser_accepts({scrapes.texts.back()});
}
