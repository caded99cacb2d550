// The ACL lines the README gives for the harness's own Redis user, taken from the README itself
// so the documented lines are the tested ones: the seed scenario and a chaos run pass as that
// user, the user can do nothing dangerous, and a fault that needs the optional grant is refused
// up front without it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/harness_process.hpp"
#include "tests/support/redis_fixture.hpp"

namespace sh::testing {
namespace {

constexpr const char* user = "streamharness";
constexpr const char* password = "lp-0c41d7";

// The README line that starts with `prefix`, as written (inside a code block).
std::string readme_line(const std::string& prefix) {
    std::ifstream readme(std::string(STREAMHARNESS_SOURCE_DIR) + "/README.md");
    std::string line;
    while (std::getline(readme, line)) {
        if (line.rfind(prefix, 0) == 0) return line;
    }
    return "";
}

// "ACL SETUSER streamharness on >CHANGE-ME ..." as arguments, with the test's password.
redis::Args acl_arguments(const std::string& line) {
    redis::Args args;
    std::istringstream words(line);
    std::string word;
    while (words >> word) args.push_back(word == ">CHANGE-ME" ? std::string(">") + password : word);
    return args;
}

class LeastPrivilege : public RedisTest {
  protected:
    void SetUp() override {
        admin_.emplace(connect());
        auto line = readme_line("ACL SETUSER streamharness on ");
        ASSERT_FALSE(line.empty()) << "README has no ACL SETUSER line for the harness";
        admin_->command(acl_arguments(line));
    }
    void TearDown() override { admin_->command({"ACL", "DELUSER", user}); }

    void grant_client_commands() {
        auto line = readme_line("ACL SETUSER streamharness +client");
        ASSERT_FALSE(line.empty()) << "README has no ACL line for the optional CLIENT grant";
        admin_->command(acl_arguments(line));
    }
    std::string user_url() const {
        return std::string("redis://") + user + ":" + password +
               "@127.0.0.1:" + std::to_string(server().port());
    }
    // Denials the server logged for the user (ACL LOG), as text for a failure message.
    std::string denials() {
        auto reply = admin_->command({"ACL", "LOG"});
        redis::ReplyView log(reply.get());
        std::string text;
        for (std::size_t i = 0; i < log.size(); ++i) {
            auto entry = log.element(i);
            for (std::size_t j = 0; j + 1 < entry.size(); j += 2) {
                if (entry.element(j).text() == "object") {
                    text += std::string(entry.element(j + 1).text()) + " ";
                }
            }
        }
        return text;
    }

    std::optional<redis::Connection> admin_;
};

TEST_F(LeastPrivilege, TheSeedScenarioPassesAsTheHarnessUser) {
    admin_->command({"ACL", "LOG", "RESET"});
    auto run = run_harness({"run", workload_path("orders.json"), "--redis", user_url(), "--set",
                            "duration_s=3", "--set", "producers.rate=1000"});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err << "denied: " << denials();
    EXPECT_EQ(run.report()["verdict"], "pass");
    EXPECT_EQ(denials(), "");
}

TEST_F(LeastPrivilege, AChaosRunOfProcessFaultsPassesAsTheHarnessUser) {
    admin_->command({"ACL", "LOG", "RESET"});
    auto run = run_harness(
        {"run", workload_path("chaos.json"), "--redis", user_url(), "--set", "duration_s=6",
         "--set",
         R"(chaos.events=[{"fault": "kill", "target": "score/any", "every_s": 2, "start_s": 1},)"
         R"({"fault": "pause", "target": "push/any", "at_s": 2, "duration_ms": 1500},)"
         R"({"fault": "stop", "target": "*/any", "at_s": 3}])"});
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err << "denied: " << denials();
    EXPECT_EQ(denials(), "");
}

TEST_F(LeastPrivilege, DisconnectFaultsNeedTheClientGrantAndAreRefusedUpFrontWithoutIt) {
    auto chaos = std::vector<std::string>{
        "run",     workload_path("chaos.json"),
        "--redis", user_url(),
        "--set",   "duration_s=5",
        "--set",   R"(chaos.events=[{"fault": "disconnect", "target": "*/any", "every_s": 1}])"};
    auto refused = run_harness(chaos);
    EXPECT_EQ(refused.exit_code, 3) << refused.err;
    EXPECT_NE(refused.err.find("+client|list +client|kill"), std::string::npos) << refused.err;
    EXPECT_EQ(refused.report()["error"]["phase"], "set-up");

    grant_client_commands();
    admin_->command({"ACL", "LOG", "RESET"});
    auto run = run_harness(chaos);
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err << "denied: " << denials();
    EXPECT_GT(run.report()["chaos"]["summary"]["faults"]["disconnect"].get<int>(), 0)
        << run.report()["chaos"].dump();
}

TEST_F(LeastPrivilege, TheHarnessUserCanDoNothingDangerous) {
    redis::Endpoint endpoint = redis::parse_url(user_url());
    redis::Connection connection(endpoint, {});
    for (const redis::Args& forbidden :
         {redis::Args{"FLUSHALL"}, redis::Args{"FLUSHDB"}, redis::Args{"KEYS", "*"},
          redis::Args{"CONFIG", "SET", "maxmemory", "1"}, redis::Args{"SHUTDOWN"},
          redis::Args{"EVAL", "return 1", "0"}, redis::Args{"CLIENT", "KILL", "TYPE", "normal"},
          redis::Args{"ACL", "LIST"}, redis::Args{"SET", "user:data", "x"},
          redis::Args{"GET", "orders:of:someone"}, redis::Args{"XADD", "ordermq", "*", "a", "b"}}) {
        SCOPED_TRACE(forbidden.front());
        auto reply = connection.command_allow_error(forbidden);
        redis::ReplyView view(reply.get());
        ASSERT_TRUE(view.is_error());
        EXPECT_EQ(view.text().rfind("NOPERM", 0), 0u) << view.text();
    }
}

}  // namespace
}  // namespace sh::testing
