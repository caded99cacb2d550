// Max-rate mode's producers against a real redis-server: their schedule has a rate from the
// first order on, so they stop at the end of their window.
#include <gtest/gtest.h>

#include <stdexcept>

#include "harness/redis/url.hpp"
#include "harness/run/producer_pool.hpp"
#include "harness/run/rate_controller.hpp"
#include "harness/workload/workload_json.hpp"
#include "tests/support/redis_fixture.hpp"

namespace {

sh::workload::Workload one_second_at_max_rate() {
    return sh::workload::parse_workload(
        {{"duration_s", 1},
         {"producers", {{"count", 2}, {"rate", 0}, {"arrival", "constant"}}},
         {"groups", {{{"name", "g"}}}}});
}

class MaxRateProducers : public sh::testing::RedisTest {
  protected:
    sh::workload::Workload workload = one_second_at_max_rate();
    sh::model::OrderAttributes attributes{};
};

TEST_F(MaxRateProducers, StartAtTheControllersRateAndStopAtTheEndOfTheirWindow) {
    sh::run::RateController controller(workload);
    sh::run::ProducerPool producers(
        workload, sh::redis::parse_url(url()),
        sh::model::StreamShards("max-rate", "s", "max-rate:started", {}, 1), attributes);
    controller.start(producers);
    EXPECT_EQ(producers.total_rate(), 2000);
    producers.start();
    producers.join();  // returns: the window ended although no controller tick ever came
    // Constant arrivals at 1000/s per producer for one second, and nothing after it.
    EXPECT_EQ(producers.totals().ok.load(), 2000u);
    auto connection = connect();
    EXPECT_EQ(integer(connection, {"XLEN", "max-rate:started"}), 2000);
}

TEST_F(MaxRateProducers, WithoutARateTheScheduleFailsLoudlyInsteadOfNeverEnding) {
    sh::run::ProducerPool producers(
        workload, sh::redis::parse_url(url()),
        sh::model::StreamShards("max-rate", "s", "max-rate:unset", {}, 1), attributes);
    producers.start();
    EXPECT_THROW(producers.join(), std::logic_error);
    auto connection = connect();
    EXPECT_EQ(integer(connection, {"EXISTS", "max-rate:unset"}), 0);
}

}  // namespace
