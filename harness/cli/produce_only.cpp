#include "harness/cli/produce_only.hpp"

#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "harness/errors.hpp"
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
        config.stream_keys = {options.stream_key};
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
    std::vector<std::exception_ptr> errors(producers.size());
    for (std::size_t i = 0; i < producers.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                producers[i]->run(stop);
            } catch (...) {
                // Redis unreachable or gone for good: the other threads stop too.
                errors[i] = std::current_exception();
                stop = true;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& error : errors) {
        if (error) std::rethrow_exception(error);
    }
    for (const auto& producer : producers) {
        if (!producer->first_error().empty()) {
            throw RedisReplyError("XADD", options.stream_key,
                                  producer->first_error() + " (" +
                                      std::to_string(totals.failed.load()) + " of " +
                                      std::to_string(options.orders) + " orders failed)");
        }
    }
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
