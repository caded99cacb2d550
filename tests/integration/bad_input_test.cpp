// Bad input gets a clear error and the right exit code: 2 for the workload or command line,
// 3 for the environment. Nothing is written to Redis when the input is wrong.
#include <gtest/gtest.h>

#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

using sh::testing::run_harness;
using sh::testing::workload_path;
using sh::testing::write_temp_file;

class BadInput : public sh::testing::RedisTest {};

namespace {
bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}
}  // namespace

TEST_F(BadInput, UnknownKeyExits2AndNamesThePath) {
    auto path = write_temp_file("unknown-key.json",
                                R"({"name": "x", "groups": [{"name": "g", "bogus": 1}]})");
    auto run = run_harness({"run", path, "--redis", url()});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "groups.0.bogus: unknown key")) << run.err;
}

TEST_F(BadInput, NegativeRateExits2AndNamesThePath) {
    auto run = run_harness(
        {"run", workload_path("smoke.json"), "--redis", url(), "--set", "producers.rate=-5"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "producers.rate: -5 is out of range")) << run.err;
}

TEST_F(BadInput, GroupWithoutConsumersExits2AndNamesThePath) {
    auto run = run_harness(
        {"run", workload_path("smoke.json"), "--redis", url(), "--set", "groups.0.consumers=0"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "groups.0.consumers: 0 is out of range")) << run.err;
}

TEST_F(BadInput, NoGroupsAtAllExits2) {
    auto run =
        run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--set", "groups=[]"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "groups: at least one consumer group is needed")) << run.err;
}

TEST_F(BadInput, InvalidJsonExits2AndNamesTheFile) {
    auto path = write_temp_file("broken.json", R"({"name": "x", "groups": [)");
    auto run = run_harness({"run", path, "--redis", url()});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "not a workload file:")) << run.err;
    EXPECT_TRUE(mentions(run.err, path + ": not JSON (line 1, column")) << run.err;
}

TEST_F(BadInput, OverrideOfAMissingArrayElementExits2) {
    auto run = run_harness(
        {"run", workload_path("smoke.json"), "--redis", url(), "--set", "groups.7.ack=after"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "groups.7: no such element")) << run.err;
}

TEST_F(BadInput, UnknownCommandLineOptionExits2) {
    auto run = run_harness({"run", "--no-such-flag"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
}

TEST_F(BadInput, MalformedRedisUrlExits2) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", "http://x"});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(mentions(run.err, "--redis: unsupported URL")) << run.err;
}

TEST_F(BadInput, UnreachableRedisExits3AndSaysSo) {
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", "redis://127.0.0.1:1"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "cannot reach redis://127.0.0.1:1")) << run.err;
}

TEST_F(BadInput, WrongPasswordExits3WithRedisMessageAndNoPassword) {
    auto admin = connect();
    admin.command({"ACL", "SETUSER", "badinput", "on", ">right", "~*", "+@all"});
    auto endpoint = server().endpoint();
    auto run =
        run_harness({"run", workload_path("smoke.json"), "--redis",
                     "redis://badinput:wrongpass@127.0.0.1:" + std::to_string(endpoint.port)});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "WRONGPASS")) << run.err;
    EXPECT_FALSE(mentions(run.err, "wrongpass")) << run.err;
    admin.command({"ACL", "DELUSER", "badinput"});
}

TEST_F(BadInput, KeyOfTheWrongTypeWhereTheStreamShouldBeExits3WithRedisMessage) {
    auto connection = connect();
    connection.command({"SET", "badinput:ordermq", "not a stream"});
    auto run = run_harness({"run", workload_path("smoke.json"), "--redis", url(), "--set",
                            "stream.key=badinput:ordermq"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    // The run reads the key's groups before it creates any: XINFO meets the wrong type first.
    EXPECT_TRUE(mentions(run.err, "XINFO on badinput:ordermq: WRONGTYPE")) << run.err;
    EXPECT_EQ(text(connection, {"GET", "badinput:ordermq"}), "not a stream");
}

TEST_F(BadInput, MissingRedisServerExits3WithAnInstallHint) {
    auto run = run_harness({"run", workload_path("smoke.json")}, {"PATH=/nonexistent"});
    EXPECT_EQ(run.exit_code, 3) << run.err;
    EXPECT_TRUE(mentions(run.err, "cannot find 'redis-server' on PATH")) << run.err;
}
