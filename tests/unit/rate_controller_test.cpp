// The max-rate controller's decisions, without Redis or producers: raise while the backlog
// stays under half its bound, cut when it passes the bound or the producers fall behind.
#include "harness/run/rate_controller.hpp"

#include <gtest/gtest.h>

#include "harness/workload/workload_json.hpp"

namespace {

constexpr std::int64_t ms_ns = 1'000'000;

// Two groups of two consumers reading batches of 50: a backlog bound of 4 x 50 x 4 = 800.
sh::workload::Workload max_rate_workload() {
    return sh::workload::parse_workload(nlohmann::json::parse(R"({
      "producers": {"rate": 0},
      "groups": [{"name": "score", "consumers": 2, "batch": 50},
                 {"name": "push", "consumers": 2, "batch": 50}]})"));
}

}  // namespace

TEST(RateController, RaisesByAFifthWhileTheBacklogStaysUnderHalfItsBound) {
    sh::run::RateController controller(max_rate_workload());
    EXPECT_DOUBLE_EQ(controller.step(1000, 399, 0, 0.25), 1200);
    EXPECT_DOUBLE_EQ(controller.step(1200, 0, 0, 0.5), 1440);
    auto summary = controller.summary({});
    EXPECT_EQ(summary.raises, 2);
    EXPECT_EQ(summary.cuts, 0);
    EXPECT_EQ(summary.backlog_bound, 800);
    EXPECT_DOUBLE_EQ(summary.final_rate, 1440);
}

TEST(RateController, HoldsBetweenHalfTheBoundAndTheBound) {
    sh::run::RateController controller(max_rate_workload());
    EXPECT_DOUBLE_EQ(controller.step(1000, 400, 0, 0.25), 1000);
    EXPECT_DOUBLE_EQ(controller.step(1000, 800, 0, 0.5), 1000);
    EXPECT_EQ(controller.summary({}).raises + controller.summary({}).cuts, 0);
}

TEST(RateController, CutsByAFifthPastTheBoundOrWhenProducersFallBehind) {
    sh::run::RateController controller(max_rate_workload());
    EXPECT_DOUBLE_EQ(controller.step(1000, 801, 0, 0.25), 800);
    EXPECT_DOUBLE_EQ(controller.step(1000, 0, 51 * ms_ns, 0.5), 800);
    EXPECT_DOUBLE_EQ(controller.step(1000, 0, 50 * ms_ns, 0.75), 1200);  // 50 ms is on time
    EXPECT_EQ(controller.summary({}).cuts, 2);
}

TEST(RateController, NeverCutsBelowAHundredOrdersASecond) {
    sh::run::RateController controller(max_rate_workload());
    EXPECT_DOUBLE_EQ(controller.step(110, 10'000, 0, 0.25), 100);
    EXPECT_DOUBLE_EQ(controller.step(100, 10'000, 0, 0.5), 100);
}

TEST(RateController, AtHighRatesFiftyMillisecondsOfOrdersIsNoBacklog) {
    sh::run::RateController controller(max_rate_workload());
    // At 100,000 orders/s the bound is 5,000 entries, not 800: 4,000 is under it, not cut.
    EXPECT_DOUBLE_EQ(controller.step(100'000, 4000, 0, 0.25), 100'000);
    EXPECT_DOUBLE_EQ(controller.step(100'000, 2499, 0, 0.5), 120'000);
}

TEST(RateController, RecordsEveryStepAndSustainsTheSecondHalfOfTheLoadRows) {
    sh::run::RateController controller(max_rate_workload());
    controller.step(1000, 0, 2 * ms_ns, 0.25);
    std::vector<sh::run::TimelineRow> timeline;
    for (int t = 1; t <= 4; ++t) {
        sh::run::TimelineRow row;
        row.t_s = t;
        row.span_s = 1;
        row.load = true;
        row.produced = static_cast<std::uint64_t>(1000 * t);
        timeline.push_back(row);
    }
    sh::run::TimelineRow drain;
    drain.span_s = 1;
    drain.produced = 99'000;  // not a load row: not part of what was sustained
    timeline.push_back(drain);
    auto summary = controller.summary(timeline);
    EXPECT_DOUBLE_EQ(summary.sustained_orders_per_s, 3500);  // rows 3 and 4
    ASSERT_EQ(summary.steps.size(), 1u);
    EXPECT_DOUBLE_EQ(summary.steps[0].t_s, 0.25);
    EXPECT_DOUBLE_EQ(summary.steps[0].rate, 1200);
    EXPECT_EQ(summary.steps[0].backlog, 0);
    EXPECT_DOUBLE_EQ(summary.steps[0].producer_behind_ms, 2);
}
