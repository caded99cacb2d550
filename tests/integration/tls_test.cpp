// rediss:// end to end (issue 13): every connection of a run (supervisor, producers, workers,
// chaos controller, external Python consumers) over TLS to a real redis-server that requires
// client certificates; a certificate problem fails with exit 3, naming it and the server.
#include <gtest/gtest.h>

#include <memory>

#include "harness/errors.hpp"
#include "harness/redis/embedded_server.hpp"
#include "tests/support/harness_process.hpp"
#include "tests/support/run_inspection.hpp"
#include "tests/support/tls_certificates.hpp"

namespace sh::testing {
namespace {

bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

class Tls : public ::testing::Test {
  public:
    static void SetUpTestSuite() {
        certificates_ = std::make_unique<TlsCertificates>();
        server_ = std::make_unique<redis::EmbeddedServer>(certificates_->server_options(true));
    }
    static void TearDownTestSuite() {
        server_.reset();
        certificates_.reset();
    }

  protected:
    static const TlsCertificates& certificates() { return *certificates_; }
    // The server's URL without parameters: the flags say the rest.
    static std::string url() { return "rediss://127.0.0.1:" + std::to_string(server_->port()); }
    // --redis URL and the flags of a client that trusts the CA and presents its certificate.
    static std::vector<std::string> mutual_tls() {
        return {"--redis",    url(),
                "--tls-ca",   certificates_->ca(),
                "--tls-cert", certificates_->client_cert(),
                "--tls-key",  certificates_->client_key()};
    }
    static std::vector<std::string> with(std::vector<std::string> args,
                                         const std::vector<std::string>& more) {
        args.insert(args.end(), more.begin(), more.end());
        return args;
    }
    static redis::Connection connect() { return redis::Connection(server_->endpoint(), {}); }
    static std::int64_t integer(redis::Connection& connection, const redis::Args& args) {
        auto reply = connection.command(args);
        return redis::ReplyView(reply.get()).integer_text();
    }

    static std::unique_ptr<TlsCertificates> certificates_;
    static std::unique_ptr<redis::EmbeddedServer> server_;
};

std::unique_ptr<TlsCertificates> Tls::certificates_;
std::unique_ptr<redis::EmbeddedServer> Tls::server_;

TEST_F(Tls, SeedScenarioPassesOverMutualTlsAndRedisHoldsWhatTheReportSays) {
    const std::string run_id = "tls-seed";
    auto run = run_harness(with({"run", workload_path("orders.json"), "--run-id", run_id,
                                 "--keep-keys", "--set", "duration_s=3"},
                                mutual_tls()));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "pass");
    EXPECT_EQ(report["environment"]["redis"].get<std::string>().rfind("rediss://127.0.0.1:", 0), 0u)
        << report["environment"]["redis"];

    auto control = connect();
    auto produced = report["summary"]["produced"]["ok"].get<std::int64_t>();
    EXPECT_GT(produced, 0);
    EXPECT_EQ(integer(control, {"XLEN", run_key(run_id, "stream")}), produced);
    for (const std::string group : {"score", "push"}) {
        SCOPED_TRACE(group);
        EXPECT_EQ(report["verification"][group]["applied"].get<std::int64_t>(), produced);
        EXPECT_EQ(integer(control, {"BITCOUNT", run_key(run_id, "acked:" + group)}), produced);
    }
    delete_keys(control, keys_of_run(control, run_id));
}

TEST_F(Tls, ChaosRunOverTlsLosesNothing) {
    auto run =
        run_harness(with({"run", workload_path("chaos.json"), "--set", "duration_s=8", "--set",
                          "chaos.events.0.every_s=1", "--set", "chaos.events.1.every_s=1"},
                         mutual_tls()));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "pass");
    EXPECT_GE(events_of(report, "kill").size(), 4u) << run.out;
    EXPECT_GE(events_of(report, "disconnect").size(), 1u) << run.out;
    EXPECT_GE(events_of(report, "pause").size(), 1u) << run.out;
    for (const std::string group : {"score", "push"}) {
        EXPECT_EQ(report["verification"][group]["lost"], 0) << group;
        EXPECT_EQ(report["verification"][group]["duplicated"], 0) << group;
    }
}

TEST_F(Tls, AServerCertificateFromAnotherCaFailsNamingTheProblemAndTheServer) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--tls-ca",
                            certificates().other_ca(), "--tls-cert", certificates().client_cert(),
                            "--tls-key", certificates().client_key()});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "TLS handshake failed: certificate verify failed: ")) << run.err;
    EXPECT_TRUE(mentions(run.err, "cannot reach " + url())) << run.err;
    EXPECT_EQ(run.report()["verdict"], "error");
}

TEST_F(Tls, AClientWithoutCertificateIsRefusedByAServerThatRequiresOne) {
    auto run = run_harness({"produce", "--redis", url(), "--tls-ca", certificates().ca(), "--key",
                            "tls:no-client-cert", "--orders", "10"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "certificate required")) << run.err;
    EXPECT_TRUE(mentions(run.err, url())) << run.err;
}

TEST_F(Tls, InsecureConnectsDespiteTheWrongCa) {
    auto run =
        run_harness({"produce", "--redis", url(), "--tls-ca", certificates().other_ca(),
                     "--tls-insecure", "--tls-cert", certificates().client_cert(), "--tls-key",
                     certificates().client_key(), "--key", "tls:insecure", "--orders", "10"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto control = connect();
    EXPECT_EQ(integer(control, {"XLEN", "tls:insecure"}), 10);
    control.command({"DEL", "tls:insecure"});
}

TEST_F(Tls, ProduceOverTlsWritesEveryOrder) {
    auto run = run_harness(with({"produce", "--key", "tls:produce", "--orders", "20000",
                                 "--connections", "2", "--pipeline", "16"},
                                mutual_tls()));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    auto control = connect();
    EXPECT_EQ(integer(control, {"XLEN", "tls:produce"}), 20000);
    control.command({"DEL", "tls:produce"});
}

// The Python reference consumer gets the rediss:// URL with redis-py's ssl_* parameters.
TEST_F(Tls, ExternalPythonConsumerWorksOverTls) {
    auto run = run_harness(
        with({"run", workload_path("external-exactly-once.json"), "--set", "duration_s=8"},
             mutual_tls()));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = run.report();
    EXPECT_EQ(report["verdict"], "pass");
    EXPECT_GT(report["verification"]["score"]["applied"].get<std::int64_t>(), 0);
}

TEST_F(Tls, TheServerNameIsCheckedAgainstTheCertificate) {
    auto endpoint = server_->endpoint();
    endpoint.tls.server_name = "localhost";
    redis::Connection by_name(endpoint, {});
    EXPECT_EQ(redis::ReplyView(by_name.command({"PING"}).get()).text(), "PONG");

    endpoint.tls.server_name = "elsewhere.example";
    try {
        redis::Connection mismatch(endpoint, {});
        FAIL() << "a certificate for 127.0.0.1 and localhost must not pass as elsewhere.example";
    } catch (const RedisIoError& error) {
        EXPECT_TRUE(mentions(error.what(), "certificate verify failed: hostname mismatch"))
            << error.what();
    }
}

TEST_F(Tls, TlsFlagsThatDoNotFitTheUrlAreRefusedNamingTheFlag) {
    auto plain = run_harness({"produce", "--redis", "redis://127.0.0.1:1", "--key", "k", "--tls-ca",
                              certificates().ca()});
    EXPECT_EQ(plain.exit_code, 2) << plain.err;
    EXPECT_TRUE(mentions(plain.err, "--tls-ca: needs a rediss:// URL")) << plain.err;

    auto twice = run_harness({"produce", "--redis", url() + "?ssl_ca_certs=" + certificates().ca(),
                              "--key", "k", "--tls-ca", certificates().ca()});
    EXPECT_EQ(twice.exit_code, 2) << twice.err;
    EXPECT_TRUE(mentions(twice.err, "give it in one place only")) << twice.err;

    auto unreadable =
        run_harness({"produce", "--redis", url(), "--key", "k", "--tls-ca", "/nonexistent/ca.pem"});
    EXPECT_EQ(unreadable.exit_code, 2) << unreadable.err;
    EXPECT_TRUE(mentions(unreadable.err, "--tls-ca: cannot read '/nonexistent/ca.pem'"))
        << unreadable.err;

    auto unknown = run_harness({"produce", "--redis", url() + "?ssl_ca=x", "--key", "k"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
    EXPECT_TRUE(mentions(unknown.err, "unknown URL parameter 'ssl_ca'")) << unknown.err;
}

}  // namespace
}  // namespace sh::testing
