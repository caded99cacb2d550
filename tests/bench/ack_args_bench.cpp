// Building the ack script's ARGV for one batch: done once per batch by every consumer.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/consume/acknowledger.hpp"
#include "harness/model/order.hpp"

namespace {

std::vector<sh::consume::ProcessedEntry> make_batch(std::size_t size) {
    const sh::model::OrderAttributes attributes;
    std::vector<sh::consume::ProcessedEntry> batch;
    batch.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
        const auto seq = 1'000'000 + i;
        batch.push_back({"1764060000000-" + std::to_string(i),
                         attributes.make(seq, 1'764'060'000'000'000'000 + 333'333 * i)});
    }
    return batch;
}

void BM_AckScriptArgv(benchmark::State& state) {
    const auto batch = make_batch(static_cast<std::size_t>(state.range(0)));
    const std::string group = "score";
    const std::string consumer = "score-0-1";
    for (auto _ : state) {
        auto argv = sh::consume::ack_script_argv(group, consumer, /*with_ack=*/true,
                                                 /*dedupe=*/false, /*points=*/true, batch);
        benchmark::DoNotOptimize(argv.data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_AckScriptArgv)->Arg(10)->Arg(50)->Arg(200)->MinTime(0.2);
