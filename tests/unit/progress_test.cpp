#include "harness/run/progress.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace {

using sh::run::ProgressDisplay;
using sh::run::ProgressMode;
using sh::run::ProgressState;

constexpr std::int64_t second_ns = 1'000'000'000;

ProgressState state_at(double elapsed_s) {
    ProgressState state;
    state.elapsed_s = elapsed_s;
    state.total_s = 20;
    state.faults = 3;
    // Ten seconds' worth of counts in one row: 3001.4 produced a second, and so on.
    sh::run::TimelineRow row;
    row.span_s = 10;
    row.produced = 30014;
    row.groups = {{29996, 0, 0, 12, 4}, {30002, 0, 0, 0, std::nullopt}};
    state.latest_row = row;
    state.group_names = {"push", "score"};
    return state;
}

TEST(Progress, FormatsRatesLagPendingAndFaults) {
    EXPECT_EQ(sh::run::format_progress(state_at(12.34)),
              "[12.3s/20s load] produced 3001/s | push 3000/s lag 4 pending 12 | score 3000/s "
              "lag - pending 0 | faults 3");
    ProgressState starting;
    starting.producing = false;
    EXPECT_EQ(sh::run::format_progress(starting), "[0.0s drain] starting | faults 0");
}

TEST(Progress, PeriodicLinesWaitAFullIntervalAndKeepEveryLine) {
    std::ostringstream out;
    {
        ProgressDisplay display(ProgressMode::periodic_lines, out);
        display.update(0, state_at(0));
        display.update(4 * second_ns, state_at(4));
        EXPECT_EQ(out.str(), "");
        display.update(5 * second_ns, state_at(5));
        display.update(6 * second_ns, state_at(6));
        display.update(10 * second_ns, state_at(10));
    }
    EXPECT_EQ(out.str(), sh::run::format_progress(state_at(5)) + "\n" +
                             sh::run::format_progress(state_at(10)) + "\n");
}

TEST(Progress, ARefreshedLineRedrawsInPlaceAndEndsWithANewline) {
    std::ostringstream out;
    {
        ProgressDisplay display(ProgressMode::refreshed_line, out);
        display.update(second_ns, state_at(1));
        display.update(second_ns + 100'000'000, state_at(1.1));  // within 250 ms: not drawn
        display.update(second_ns + 300'000'000, state_at(1.3));
    }
    EXPECT_EQ(out.str(), "\r\033[K" + sh::run::format_progress(state_at(1)) + "\r\033[K" +
                             sh::run::format_progress(state_at(1.3)) + "\n");
}

TEST(Progress, QuietDrawsNothing) {
    EXPECT_EQ(ProgressDisplay::mode_for(true, 2), ProgressMode::off);
    std::ostringstream out;
    {
        ProgressDisplay display(ProgressMode::off, out);
        display.update(100 * second_ns, state_at(100));
    }
    EXPECT_EQ(out.str(), "");
}

}  // namespace
