#include "harness/cli/produce_only.hpp"

#include <memory>
#include <thread>
#include <vector>

#include "harness/measure/clock.hpp"
#include "harness/produce/producer.hpp"
#include "reports/report_json.hpp"

namespace sh::cli {

nlohmann::json produce_only(const ProduceOnlyOptions& options) {
    model::OrderAttributes attributes;
    produce::OrderSequencer sequencer(options.orders);
    model::OutcomeTable outcomes;  // recorded as in a run: the comparison includes its cost
    produce::ProducerTotals totals;
    std::vector<std::unique_ptr<produce::Producer>> producers;
    for (int i = 0; i < options.connections; ++i) {
        produce::ProducerConfig config;
        config.endpoint = options.endpoint;
        config.stream_key = options.stream_key;
        config.stamp = "produce";
        config.spec.pipeline = options.pipeline;
        config.payload_bytes = options.payload_bytes;
        config.pace = produce::ProducerConfig::Pace::as_fast_as_possible;
        config.client_name = "sh:produce:" + std::to_string(i + 1);
        producers.push_back(
            std::make_unique<produce::Producer>(config, attributes, sequencer, outcomes, totals));
    }
    std::atomic<bool> stop{false};
    auto start = measure::monotonic_ns();
    for (auto& producer : producers) producer->set_window(start, INT64_MAX);
    std::vector<std::thread> threads;
    for (auto& producer : producers) {
        threads.emplace_back([&producer, &stop] { producer->run(stop); });
    }
    for (auto& thread : threads) thread.join();
    auto seconds = static_cast<double>(measure::monotonic_ns() - start) / 1e9;
    measure::Histogram latency;
    for (const auto& producer : producers) latency.merge(producer->xadd_latency());
    auto ok = totals.ok.load();
    return {{"orders", options.orders},
            {"ok", ok},
            {"failed", totals.failed.load()},
            {"seconds", seconds},
            {"orders_per_s", static_cast<double>(ok) / seconds},
            {"connections", options.connections},
            {"pipeline", options.pipeline},
            {"payload_bytes", options.payload_bytes},
            {"xadd_latency", reports::latency_json(latency.summary())}};
}

}  // namespace sh::cli
