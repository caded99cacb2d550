// The producer threads of a run: started together on one schedule origin, joined together,
// their outcome records merged into the table the verifier reads.
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "harness/model/agent_share.hpp"
#include "harness/model/keys.hpp"
#include "harness/produce/producer.hpp"

namespace sh::run {

class ProducerPool {
  public:
    // An agent (§11.1) runs its share of the producers and of the orders, numbered in its own
    // interleaved sequence; the rate per producer is the workload's.
    ProducerPool(const workload::Workload& workload, const redis::Endpoint& endpoint,
                 const model::StreamShards& shards, const model::OrderAttributes& attributes,
                 const model::AgentShare& agent = {});
    ~ProducerPool();

    void start();
    bool finished() const { return running_.load() == 0; }
    void request_stop() { stop_.store(true); }
    // Joins the threads and closes the outcome table; rethrows the first producer's error.
    void join();

    const produce::ProducerTotals& totals() const { return totals_; }
    // Order numbers this agent handed out (its own sequence; agent.order_number maps them).
    std::uint64_t allocated() const { return sequencer_.allocated(); }
    // Every order's outcome, indexed by order number (another agent's read as unsent);
    // complete once join() has returned.
    const model::OutcomeTable& outcomes() const { return outcomes_; }
    void merge_xadd_latency(measure::Histogram& into) const;
    // rate 0: the rate controller sets the total rate, split evenly over the producers.
    bool rate_controlled() const { return rate_controlled_; }
    double total_rate() const;
    void set_total_rate(double orders_per_s);
    std::int64_t max_behind_ns() const;
    // Each producer thread's XADD latency, copied out.
    std::vector<std::unique_ptr<measure::Histogram>> xadd_latencies() const;

  private:
    model::AgentShare agent_;
    produce::OrderSequencer sequencer_;
    model::OutcomeTable outcomes_;
    produce::ProducerTotals totals_;
    std::vector<std::unique_ptr<produce::Producer>> producers_;
    std::vector<std::thread> threads_;
    std::vector<std::exception_ptr> errors_;
    std::atomic<bool> stop_{false};
    std::atomic<int> running_{0};
    bool rate_controlled_;
    std::atomic<double> controlled_rate_per_producer_{0};
    bool limited_by_count_;
    double duration_s_;
};

}  // namespace sh::run
