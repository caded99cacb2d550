#include "harness/run/producer_pool.hpp"

#include "harness/measure/clock.hpp"

namespace sh::run {

ProducerPool::ProducerPool(const workload::Workload& workload, const redis::Endpoint& endpoint,
                           const std::string& stream_key, const std::string& run_id,
                           const model::OrderAttributes& attributes)
    : sequencer_(static_cast<std::uint64_t>(workload.producers.orders)) {
    const auto& spec = workload.producers;
    auto start_ns = measure::monotonic_ns();
    // A count-limited run ends when the orders are out, not at duration_s.
    auto end_ns = spec.orders > 0 ? INT64_MAX
                                  : start_ns + static_cast<std::int64_t>(workload.duration_s * 1e9);
    for (std::int64_t i = 0; i < spec.count; ++i) {
        produce::ProducerConfig config;
        config.endpoint = endpoint;
        config.stream_key = stream_key;
        config.spec = spec;
        config.payload_bytes = static_cast<std::size_t>(workload.stream.payload_bytes);
        config.rate_per_producer = spec.rate / static_cast<double>(spec.count);
        config.start_ns = start_ns;
        config.end_ns = end_ns;
        config.rng_seed = workload.seed * 6364136223846793005ULL + static_cast<std::uint64_t>(i);
        config.client_name = "sh:" + run_id + ":producer:" + std::to_string(i + 1);
        producers_.push_back(
            std::make_unique<produce::Producer>(config, attributes, sequencer_, totals_));
    }
    errors_.resize(producers_.size());
}

ProducerPool::~ProducerPool() {
    request_stop();
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
}

void ProducerPool::start() {
    running_.store(static_cast<int>(producers_.size()));
    for (std::size_t i = 0; i < producers_.size(); ++i) {
        threads_.emplace_back([this, i] {
            try {
                producers_[i]->run(stop_);
            } catch (...) {
                errors_[i] = std::current_exception();
            }
            running_.fetch_sub(1);
        });
    }
}

void ProducerPool::join() {
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    for (const auto& error : errors_) {
        if (error) std::rethrow_exception(error);
    }
}

produce::OutcomeTable ProducerPool::outcomes() const {
    produce::OutcomeTable table;
    table.resize(sequencer_.allocated());
    for (const auto& producer : producers_) producer->outcomes().merge_into(table);
    return table;
}

void ProducerPool::merge_xadd_latency(measure::Histogram& into) const {
    for (const auto& producer : producers_) into.merge(producer->xadd_latency());
}

}  // namespace sh::run
