// The per-order outcome record on the producer's hot path: one two-bit slot or-ed in per XADD
// reply by producer threads claiming interleaved blocks, and the memory it ends with.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <thread>
#include <tuple>
#include <vector>

#include "harness/model/outcome_table.hpp"
#include "harness/produce/order_sequencer.hpp"

namespace {

using sh::model::Outcome;
using sh::model::OutcomeTable;
using sh::produce::OrderSequencer;

constexpr std::uint64_t orders = 8'000'000;
constexpr std::uint64_t block = 16;  // a producer's pipeline depth in workloads/orders.json

// state.range(0) producer threads record `orders` outcomes between them.
void BM_OutcomeRecord8M(benchmark::State& state) {
    const auto threads = static_cast<int>(state.range(0));
    std::size_t bytes = 0;
    for (auto _ : state) {
        OrderSequencer sequencer(orders);
        OutcomeTable table;
        std::vector<std::thread> producers;
        for (int t = 0; t < threads; ++t) {
            producers.emplace_back([&] {
                OutcomeTable::Writer writer(table);
                for (;;) {
                    auto [first, count] = sequencer.claim(block);
                    if (count == 0) return;
                    for (auto seq = first; seq < first + count; ++seq) {
                        writer.record(seq, Outcome::ok);
                    }
                }
            });
        }
        for (auto& producer : producers) producer.join();
        table.resize(sequencer.allocated());
        bytes = table.memory_bytes();
        benchmark::DoNotOptimize(table.at(orders - 1));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(orders));
    state.counters["bits_per_order"] = static_cast<double>(bytes) * 8 / orders;
}

}  // namespace

BENCHMARK(BM_OutcomeRecord8M)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
