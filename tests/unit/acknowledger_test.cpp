// The ack script's argument layout: what the Lua side indexes as ARGV[6 + 4k ...].
#include "harness/consume/acknowledger.hpp"

#include <gtest/gtest.h>

using sh::consume::ack_script_argv;
using sh::consume::ProcessedEntry;

TEST(AckScriptArgv, HeaderThenFourFieldsPerEntry) {
    std::vector<ProcessedEntry> batch{{"1-0", {7, 3, 42, 0, false}}, {"2-5", {8, 4, 9, 0, false}}};
    auto argv = ack_script_argv("score", "score-1-1", true, false, true, batch);
    std::vector<std::string> expected{"score", "score-1-1", "1",   "0", "1", "1-0", "7",
                                      "3",     "42",        "2-5", "8", "4", "9"};
    EXPECT_EQ(argv, expected);
}

TEST(AckScriptArgv, FlagsAreZeroWhenOff) {
    auto argv = ack_script_argv("push", "c", false, true, false, {});
    EXPECT_EQ(argv, (std::vector<std::string>{"push", "c", "0", "1", "0"}));
}
