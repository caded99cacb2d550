// Failure paths a CI gate meets sooner or later (issue 13): each gets the right exit code, a
// message that names the problem, a report when the run had started, and nothing left behind
// on the user's Redis.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "harness/errors.hpp"
#include "harness/os/child_process.hpp"
#include "harness/os/net.hpp"
#include "harness/os/temp_dir.hpp"
#include "harness/redis/embedded_server.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"
#include "tests/support/run_inspection.hpp"

namespace sh::testing {
namespace {

class FailurePaths : public RedisTest {};

bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

// The keys of a run id on the fixture's server.
std::size_t keys_named(redis::Connection& connection, const std::string& run_id) {
    auto reply = connection.command({"KEYS", "*" + run_id + "*"});
    return redis::ReplyView(reply.get()).size();
}

void expect_error_report(const HarnessRun& run, const std::string& cause) {
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "error");
    EXPECT_TRUE(mentions(report["error"]["message"].get<std::string>(), cause))
        << report["error"].dump();
    auto junit = read_text_file(run.out_dir / "junit.xml");
    EXPECT_TRUE(mentions(junit, "errors=\"1\"")) << junit;
    auto schema = std::string(STREAMHARNESS_SOURCE_DIR) + "/tests/data/junit.xsd";
    auto validation = run.out_dir / "xmllint.txt";
    auto command = "xmllint --noout --schema '" + schema + "' '" +
                   (run.out_dir / "junit.xml").string() + "' >'" + validation.string() + "' 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << read_text_file(validation);
    EXPECT_TRUE(mentions(junit, "<error message=\"the run could not finish")) << junit;
    EXPECT_TRUE(std::filesystem::exists(run.out_dir / "report.html"));
    EXPECT_TRUE(mentions(run.out, "verdict: error")) << run.out;
}

TEST_F(FailurePaths, UnreachableRedisExits3WithAnErrorReportAndJunit) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", "redis://127.0.0.1:1"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "cannot reach redis://127.0.0.1:1")) << run.err;
    expect_error_report(run, "cannot reach redis://127.0.0.1:1");
    EXPECT_EQ(run.report()["error"]["phase"], "set-up");
}

TEST_F(FailurePaths, RedisKilledMidRunExits3WithWhatWasMeasuredAndAnErrorCase) {
    redis::EmbeddedServer doomed({});
    BackgroundHarness harness({"run", workload_path("smoke.json"), "--redis",
                               doomed.endpoint().to_url(), "--set", "duration_s=30"},
                              {});
    std::this_thread::sleep_for(std::chrono::seconds(3));
    ASSERT_EQ(::kill(doomed.pid(), SIGKILL), 0);
    auto run = harness.finish();
    EXPECT_EQ(run.exit_code, 3) << run.err;
    expect_error_report(run, doomed.endpoint().redacted());
    auto report = run.report();
    EXPECT_EQ(report["error"]["phase"], "load");
    // What was measured before the server died is there; no verdict on half a run.
    EXPECT_GT(report["summary"]["produced"]["ok"].get<std::uint64_t>(), 0u);
    EXPECT_GE(report["timeline"].size(), 2u) << report["timeline"].dump();
    EXPECT_TRUE(report["verification"].empty());
    EXPECT_TRUE(report["gates"].empty());
}

TEST_F(FailurePaths, UnwritableOutIsRefusedBeforeRedisIsTouched) {
    auto control = connect();
    for (const std::string out : {"/proc/forbidden", "/dev/null/reports"}) {
        SCOPED_TRACE(out);
        auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--run-id",
                                "unwritable", "--out", out});
        EXPECT_EQ(run.exit_code, 2) << run.err;
        EXPECT_TRUE(mentions(run.err, "--out: cannot write reports to '" + out + "'")) << run.err;
        EXPECT_EQ(keys_named(control, "unwritable"), 0u);
    }
}

TEST_F(FailurePaths, ProduceAgainstUnreachableRedisExits3NamingIt) {
    auto run = run_harness({"produce", "--redis", "redis://127.0.0.1:1", "--key", "k"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "cannot reach redis://127.0.0.1:1")) << run.err;
}

TEST_F(FailurePaths, ProduceOnAKeyOfTheWrongTypeExits3WithRedisMessage) {
    auto control = connect();
    control.command({"SET", "failure:produce:string", "not a stream"});
    auto run = run_harness(
        {"produce", "--redis", url(), "--key", "failure:produce:string", "--orders", "10"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "XADD on failure:produce:string: WRONGTYPE")) << run.err;
    EXPECT_TRUE(mentions(run.err, "10 of 10 orders failed")) << run.err;
    EXPECT_EQ(text(control, {"GET", "failure:produce:string"}), "not a stream");
    control.command({"DEL", "failure:produce:string"});
}

TEST_F(FailurePaths, ProduceWithoutOrdersIsRefused) {
    auto run = run_harness({"produce", "--redis", url(), "--key", "k", "--orders", "0"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "--orders")) << run.err;
}

TEST_F(FailurePaths, MissingPasswordSaysWhereCredentialsGo) {
    redis::EmbeddedServer locked({});
    auto admin = redis::Connection(locked.endpoint(), {});
    admin.command({"CONFIG", "SET", "requirepass", "s3cret-pw"});
    for (const std::string command : {"run", "produce"}) {
        SCOPED_TRACE(command);
        auto run = run_harness(
            command == "run" ? std::vector<std::string>{"run", workload_path("smoke.json"),
                                                        "--redis", locked.endpoint().to_url()}
                             : std::vector<std::string>{"produce", "--redis",
                                                        locked.endpoint().to_url(), "--key", "k"});
        EXPECT_EQ(run.exit_code, 3) << run.err;
        EXPECT_TRUE(mentions(run.err, "NOAUTH")) << run.err;
        EXPECT_TRUE(mentions(run.err, "--redis-password-file")) << run.err;
        EXPECT_TRUE(mentions(run.err, "STREAMHARNESS_REDIS_PASSWORD")) << run.err;
    }
}

// redis://user@host names a user (RFC 3986, redis-py, the README), not a password.
TEST_F(FailurePaths, ALoneWordBeforeTheHostIsAUserName) {
    auto admin = connect();
    admin.command({"ACL", "SETUSER", "failure-nopass", "on", "nopass", "~*", "+@all"});
    auto port = std::to_string(server().port());
    auto as_user = run_harness({"produce", "--redis", "redis://failure-nopass@127.0.0.1:" + port,
                                "--key", "failure:user", "--orders", "10"});
    EXPECT_EQ(as_user.exit_code, 0) << as_user.err;
    EXPECT_EQ(integer(admin, {"XLEN", "failure:user"}), 10);
    auto no_such_user =
        run_harness({"produce", "--redis", "redis://failure-nobody@127.0.0.1:" + port, "--key",
                     "failure:user", "--orders", "10"});
    EXPECT_EQ(no_such_user.exit_code, 3) << no_such_user.err;
    EXPECT_TRUE(mentions(no_such_user.err, "AUTH on failure-nobody: WRONGPASS"))
        << no_such_user.err;
    admin.command({"ACL", "DELUSER", "failure-nopass"});
    admin.command({"DEL", "failure:user"});
}

TEST_F(FailurePaths, BracketedIpv6AddressReachesAServerOnIpv6Loopback) {
    os::TempDir dir("ipv6-redis");
    auto port = os::free_loopback_port();
    os::SpawnOptions options;
    options.output_path = (dir.path() / "log").string();
    auto server =
        os::ChildProcess::spawn({"redis-server", "--port", std::to_string(port), "--bind", "::1",
                                 "--save", "", "--appendonly", "no", "--dir", dir.path().string()},
                                options);
    auto endpoint = redis::parse_url("redis://[::1]:" + std::to_string(port));
    ASSERT_EQ(endpoint.host, "::1");
    std::optional<redis::Connection> connection;
    for (int attempt = 0; attempt < 100 && !connection; ++attempt) {
        try {
            connection.emplace(endpoint, redis::ConnectionOptions{});
        } catch (const sh::RedisIoError&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ASSERT_TRUE(connection) << read_text_file(dir.path() / "log");
    auto run = run_harness({"produce", "--redis", "redis://[::1]:" + std::to_string(port), "--key",
                            "failure:ipv6", "--orders", "10"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(integer(*connection, {"XLEN", "failure:ipv6"}), 10);
    server.terminate(std::chrono::milliseconds(2000));
}

// A loopback TCP server that is not Redis: it takes one connection, sends `answer` (nothing
// when empty), and reads until the client hangs up.
class NotRedis {
  public:
    explicit NotRedis(std::string answer) : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof(address);
        if (listener_ < 0 ||
            ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            ::listen(listener_, 4) != 0 ||
            ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            throw std::runtime_error("cannot listen on loopback");
        }
        url_ = "redis://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
        thread_ = std::thread([this, answer = std::move(answer)] {
            int client = ::accept(listener_, nullptr, nullptr);
            if (client < 0) return;
            if (!answer.empty()) {
                [[maybe_unused]] auto sent = ::write(client, answer.data(), answer.size());
            }
            char request[512];
            while (::read(client, request, sizeof(request)) > 0) {
            }
            ::close(client);
        });
    }
    ~NotRedis() {
        thread_.join();
        ::close(listener_);
    }
    const std::string& url() const { return url_; }

  private:
    int listener_;
    std::string url_;
    std::thread thread_;
};

// One that answers like HTTP is a protocol error naming the URL it came from.
TEST_F(FailurePaths, AServerThatIsNotRedisIsAProtocolErrorNamingTheUrl) {
    NotRedis http("HTTP/1.1 400 Bad Request\r\n\r\n");
    auto run = run_harness({"produce", "--redis", http.url(), "--key", "k", "--orders", "10"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "Protocol error")) << run.err;
    EXPECT_TRUE(mentions(run.err, "(" + http.url() + ")")) << run.err;
}

// One that never answers is a timeout naming the URL (after the command timeout, 5 s).
TEST_F(FailurePaths, AServerThatNeverAnswersIsATimeoutNamingTheUrl) {
    NotRedis silent("");
    auto run = run_harness({"produce", "--redis", silent.url(), "--key", "k", "--orders", "10"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "timed out after 5000 ms (" + silent.url() + ")")) << run.err;
}

TEST_F(FailurePaths, MistakesOnTheCommandLineAreNamed) {
    auto unknown = run_harness({"frobnicate"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_TRUE(mentions(unknown.err, "unknown command 'frobnicate'")) << unknown.err;
    EXPECT_TRUE(mentions(unknown.err,
                         "run, report, compare, capacity, produce, verify, cleanup, merge, show"))
        << unknown.err;

    auto slo = run_harness({"capacity", "--slo-p99-ms", "-1"});
    EXPECT_EQ(slo.exit_code, 2);
    EXPECT_TRUE(mentions(slo.err, "--slo-p99-ms")) << slo.err;

    auto run_id = run_harness({"run", "--run-id", "a/b c"});
    EXPECT_EQ(run_id.exit_code, 2);
    EXPECT_TRUE(mentions(run_id.err, "a run id is 1-64 letters")) << run_id.err;

    auto tls =
        run_harness({"run", "--redis", "rediss://127.0.0.1:6380", "--tls-cert", "/etc/client.pem"});
    EXPECT_EQ(tls.exit_code, 2);
    EXPECT_TRUE(mentions(tls.err, "invalid command line")) << tls.err;
    EXPECT_TRUE(mentions(tls.err, "--tls-cert and --tls-key go together")) << tls.err;
}

TEST_F(FailurePaths, InputThatIsNotWhatACommandTakesSaysWhatItIs) {
    auto array = write_temp_file("array.json", "[1, 2]");
    auto as_workload = run_harness({"run", array, "--redis", url()});
    EXPECT_EQ(as_workload.exit_code, 2);
    EXPECT_TRUE(mentions(as_workload.err, "not a workload file")) << as_workload.err;
    EXPECT_TRUE(mentions(as_workload.err, "not a JSON array")) << as_workload.err;

    auto as_report = run_harness({"report", array});
    EXPECT_EQ(as_report.exit_code, 2) << as_report.err;
    EXPECT_TRUE(mentions(as_report.err, "not a streamharness report")) << as_report.err;

    auto capacity = write_temp_file("capacity.json", R"({"kind": "capacity", "steps": []})");
    auto compared = run_harness({"compare", capacity, capacity});
    EXPECT_EQ(compared.exit_code, 2) << compared.err;
    EXPECT_TRUE(mentions(compared.err, "a capacity search")) << compared.err;
}

TEST_F(FailurePaths, TheEndSummaryPrintsCountsAsCounts) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--set",
                            "duration_s=1", "--set", "gates.min_produced_ok=100000000"});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    auto produced = run.report()["summary"]["produced"]["ok"].get<std::uint64_t>();
    EXPECT_TRUE(mentions(
        run.out, "FAILED gate min_produced_ok: " + std::to_string(produced) + " (limit 100000000)"))
        << run.out;
}

}  // namespace
}  // namespace sh::testing
