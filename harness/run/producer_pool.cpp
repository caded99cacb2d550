#include "harness/run/producer_pool.hpp"

#include "harness/measure/clock.hpp"

namespace sh::run {

ProducerPool::ProducerPool(const workload::Workload& workload, const redis::Endpoint& endpoint,
                           const model::StreamShards& shards,
                           const model::OrderAttributes& attributes, const model::AgentShare& agent)
    : agent_(agent),
      sequencer_(static_cast<std::uint64_t>(
          agent.orders_share(workload.producers.orders, workload.producers.count))),
      rate_controlled_(workload.producers.mode == workload::RateMode::max),
      limited_by_count_(workload.producers.orders > 0),
      duration_s_(workload.duration_s) {
    const auto& spec = workload.producers;
    for (std::int64_t i = 0; i < agent.share_of(spec.count); ++i) {
        // Numbered over all agents, so that no two producers share a name or a random stream.
        auto number = i * agent.count + agent.index - 1;
        produce::ProducerConfig config;
        config.endpoint = endpoint;
        config.stream_keys = shards.streams();
        config.stamp = shards.front().stamp();
        config.spec = spec;
        config.payload_bytes = static_cast<std::size_t>(workload.stream.payload_bytes);
        config.rate_per_producer = spec.rate / static_cast<double>(spec.count);
        if (rate_controlled_) {
            config.pace = produce::ProducerConfig::Pace::controlled;
            config.controlled_rate = &controlled_rate_per_producer_;
        }
        config.rng_seed =
            workload.seed * 6364136223846793005ULL + static_cast<std::uint64_t>(number);
        config.client_name =
            "sh:" + shards.front().run_id() + ":producer:" + std::to_string(number + 1);
        config.agent = agent;
        producers_.push_back(std::make_unique<produce::Producer>(config, attributes, sequencer_,
                                                                 outcomes_, totals_));
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
    auto start_ns = measure::monotonic_ns();
    // A count-limited run ends when the orders are out, not at duration_s.
    auto end_ns =
        limited_by_count_ ? INT64_MAX : start_ns + static_cast<std::int64_t>(duration_s_ * 1e9);
    for (auto& producer : producers_) producer->set_window(start_ns, end_ns);
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
    auto allocated = sequencer_.allocated();
    outcomes_.resize(allocated == 0 ? 0 : agent_.order_number(allocated - 1) + 1);
    for (const auto& error : errors_) {
        if (error) std::rethrow_exception(error);
    }
}

void ProducerPool::merge_xadd_latency(measure::Histogram& into) const {
    for (const auto& producer : producers_) into.merge(producer->xadd_latency());
}

}  // namespace sh::run

namespace sh::run {

std::vector<std::unique_ptr<measure::Histogram>> ProducerPool::xadd_latencies() const {
    std::vector<std::unique_ptr<measure::Histogram>> latencies;
    for (const auto& producer : producers_) {
        latencies.push_back(std::make_unique<measure::Histogram>());
        latencies.back()->merge(producer->xadd_latency());
    }
    return latencies;
}

}  // namespace sh::run

namespace sh::run {

double ProducerPool::total_rate() const {
    return controlled_rate_per_producer_.load() * static_cast<double>(producers_.size());
}

void ProducerPool::set_total_rate(double orders_per_s) {
    controlled_rate_per_producer_.store(orders_per_s / static_cast<double>(producers_.size()));
}

std::int64_t ProducerPool::max_behind_ns() const {
    auto now = measure::monotonic_ns();
    std::int64_t behind = 0;
    for (const auto& producer : producers_) behind = std::max(behind, producer->behind_ns(now));
    return behind;
}

}  // namespace sh::run
