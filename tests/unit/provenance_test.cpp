// What a report's provenance shows of the command line: never a password or a secret value.
#include "harness/cli/provenance.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/os/build_info.hpp"

namespace sh::cli {
namespace {

std::vector<std::string> recorded_from(std::vector<std::string> arguments) {
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    record_invocation(static_cast<int>(argv.size()), argv.data(), {}, {});
    return recorded_command_line();
}

TEST(Provenance, PasswordsInUrlsAndSecretOverridesAreRedacted) {
    auto line = recorded_from({"streamharness", "run", "w.json", "--redis",
                               "redis://user:hunter2@db:6379/0", "--set",
                               "groups.0.consumer.env.API_TOKEN=abc123", "--set=producers.rate=900",
                               "--set=groups.1.consumer.env.DB=postgres://u:pw9@h/db",
                               "--redis=rediss://:pw-only@h:6380", "--tag", "branch=main"});
    std::vector<std::string> expected = {"streamharness",
                                         "run",
                                         "w.json",
                                         "--redis",
                                         "redis://user:***@db:6379/0",
                                         "--set",
                                         "groups.0.consumer.env.API_TOKEN=***",
                                         "--set=producers.rate=900",
                                         "--set=groups.1.consumer.env.DB=***",
                                         "--redis=rediss://:***@h:6380",
                                         "--tag",
                                         "branch=main"};
    EXPECT_EQ(line, expected);
}

// The URL reader takes the password up to the last '@', so it may hold '@' or a space.
TEST(Provenance, PasswordsHoldingAnAtSignOrASpaceAreRedactedWhole) {
    auto line = recorded_from({"streamharness", "run", "--redis", "rediss://user:pa@ss@host:6380",
                               "--redis=redis://u:sec ret@127.0.0.1:1/0"});
    std::vector<std::string> expected = {"streamharness", "run", "--redis",
                                         "rediss://user:***@host:6380",
                                         "--redis=redis://u:***@127.0.0.1:1/0"};
    EXPECT_EQ(line, expected);
    EXPECT_EQ(redacted_override("groups.0.consumer.command=redis://:a@b@h"),
              "groups.0.consumer.command=redis://:***@h");
}

TEST(Provenance, OverridesKeepTheirValuesUnlessTheyNameASecret) {
    EXPECT_EQ(redacted_override("producers.rate=900"), "producers.rate=900");
    EXPECT_EQ(redacted_override("stream.key=orders"), "stream.key=orders");
    EXPECT_EQ(redacted_override("groups.0.consumer.env.X=1"), "groups.0.consumer.env.X=***");
    EXPECT_EQ(redacted_override("a.password=p"), "a.password=***");
    EXPECT_EQ(redacted_override("a.auth_secret=p"), "a.auth_secret=***");
    EXPECT_EQ(redacted_override("groups.0.consumer.command=unix://u:p@/s"),
              "groups.0.consumer.command=unix://u:***@/s");
}

TEST(Provenance, TagsAreKeyValuePairsWithPlainUniqueKeys) {
    Tags tags;
    EXPECT_TRUE(parse_tags({"branch=feature/x=y", "ci.job-1=", "os_name=debian"}, tags).empty());
    EXPECT_EQ(tags, (Tags{{"branch", "feature/x=y"}, {"ci.job-1", ""}, {"os_name", "debian"}}));
    Tags refused;
    auto problems = parse_tags({"novalue", "=x", "a b=1", "k=1", "k=2"}, refused);
    ASSERT_EQ(problems.size(), 4u);
    EXPECT_EQ(problems[0],
              "--tag novalue: expected key=value, the key 1-64 letters, digits, '_', '.' or '-'");
    EXPECT_NE(problems[1].find("--tag =x: expected key=value"), std::string::npos);
    EXPECT_NE(problems[2].find("--tag a b=1: expected key=value"), std::string::npos);
    EXPECT_EQ(problems[3], "--tag k: given twice");
}

TEST(Provenance, StampAddsInvocationBuildAndHostAndKeepsTheRunsRedisPart) {
    std::vector<std::string> arguments = {"streamharness", "run"};
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    record_invocation(2, argv.data(), {"duration_s=3", "groups.0.consumer.env.T=x"}, {{"k", "v"}});
    nlohmann::json report = {{"provenance", {{"redis", {{"version", "7.0.15"}}}}}};
    stamp_provenance(report);
    const auto& provenance = report.at("provenance");
    EXPECT_EQ(provenance.at("redis").at("version"), "7.0.15");
    EXPECT_EQ(provenance.at("command_line"), nlohmann::json(arguments));
    EXPECT_EQ(provenance.at("overrides"),
              nlohmann::json({"duration_s=3", "groups.0.consumer.env.T=***"}));
    EXPECT_EQ(provenance.at("tags"), nlohmann::json({{"k", "v"}}));
    EXPECT_EQ(provenance.at("build").at("build_type"), os::build_info().build_type);
    EXPECT_GT(provenance.at("host").at("cores").get<unsigned>(), 0u);
    EXPECT_EQ(report.at("finished_at").get<std::string>().size(), 20u);  // 2026-12-01T07:04:17Z
}

}  // namespace
}  // namespace sh::cli
