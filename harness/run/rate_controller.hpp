// Max-rate mode (producers.rate 0, workload::RateMode::max): find the highest rate the consumer
// fleet keeps up with. Every 250 ms the controller raises the producer rate by 20 % while the
// backlog (pending + lag over all groups) stays under half a bound, and cuts it by 20 % when the
// backlog passes the bound or the producers fall 50 ms behind their own schedule. The bound is the
// larger of 4 batches per consumer and 50 ms worth of orders at the current rate. The run measures
// a sustainable end-to-end rate, not how fast a backlog can pile up.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/redis/connection.hpp"
#include "harness/run/producer_pool.hpp"
#include "harness/run/timeline.hpp"
#include "harness/workload/workload.hpp"

namespace sh::run {

class RateController {
  public:
    explicit RateController(const workload::Workload& workload);

    // Sets the starting rate; must come before the producers start, whose schedule needs a
    // rate for its very first order.
    void start(ProducerPool& producers);
    // stream_keys: every shard's stream; the backlog is their sum.
    void tick(redis::Connection& connection, const std::vector<std::string>& stream_keys,
              ProducerPool& producers, std::int64_t now_ns, double at_s);
    // One decision, from the backlog over the run's groups (pending + lag) and how far the
    // producers are behind their schedule: the new total rate. tick() feeds it from Redis.
    double step(double rate, std::int64_t backlog, std::int64_t behind_ns, double at_s);
    // Final rate, cuts, and the sustained rate: produced/s over the second half of the load
    // rows of the timeline.
    MaxRateSummary summary(const std::vector<TimelineRow>& timeline) const;

  private:
    std::vector<std::string> groups_;  // the run's own: a shared stream has others' groups too
    std::int64_t backlog_bound_;
    std::int64_t next_ns_ = 0;
    double last_rate_ = 0;
    int raises_ = 0;
    int cuts_ = 0;
    std::vector<RateStep> steps_;  // four a second for the whole run
};

}  // namespace sh::run
