// A producer thread: open-loop schedule (constant or Poisson arrivals, or as fast as possible),
// pipelined XADD, every order's outcome recorded with its intended send time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "harness/measure/histogram.hpp"
#include "harness/model/order.hpp"
#include "harness/produce/outcome_log.hpp"
#include "harness/redis/url.hpp"
#include "harness/workload/workload.hpp"

namespace sh::produce {

struct ProducerConfig {
    redis::Endpoint endpoint;
    std::string stream_key;
    workload::ProducerSpec spec;
    std::size_t payload_bytes = 64;
    double rate_per_producer = 0;  // orders/s for this thread; 0 = as fast as possible
    std::int64_t start_ns = 0;     // schedule origin (monotonic)
    std::int64_t end_ns = 0;       // no intended send time at or after this
    std::uint64_t rng_seed = 1;
    std::string client_name;
};

struct ProducerTotals {
    std::atomic<std::uint64_t> ok{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> indeterminate{0};
    std::atomic<std::uint64_t> reconnects{0};
};

class Producer {
  public:
    Producer(ProducerConfig config, const model::OrderAttributes& attributes,
             OrderSequencer& sequencer, ProducerTotals& totals);

    // Runs until the schedule ends, the sequencer is exhausted or stop is set. Connection loss
    // marks the in-flight orders indeterminate and reconnects; throws only when Redis stays away.
    void run(const std::atomic<bool>& stop);

    const OutcomeBlocks& outcomes() const { return outcomes_; }
    const measure::Histogram& xadd_latency() const { return *xadd_latency_; }

  private:
    ProducerConfig config_;
    const model::OrderAttributes& attributes_;
    OrderSequencer& sequencer_;
    ProducerTotals& totals_;
    OutcomeBlocks outcomes_;
    std::unique_ptr<measure::Histogram> xadd_latency_;
};

}  // namespace sh::produce
