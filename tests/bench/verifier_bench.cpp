// The verifier at scale: 10,000,000 orders x 2 groups, the target being <= 10 s and
// <= 100 MB resident. Inputs are built the way the supervisor holds them after a run: an
// OutcomeTable (two bits of outcome per order) and one GroupLedger per group with a full
// applied bitmap, a handful of duplicates and a few thousand dead letters.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/measure/memory.hpp"
#include "harness/model/order.hpp"
#include "harness/model/outcome_table.hpp"
#include "harness/verify/verifier.hpp"

namespace {

using sh::model::Outcome;

constexpr std::uint64_t orders = 10'000'000;
constexpr double bytes_per_mib = 1024.0 * 1024.0;

// A size field of this process's /proc status ("VmRSS", "VmHWM"), in MiB; -1 when unavailable.
double proc_status_mib(std::string_view field) {
    auto bytes = sh::measure::proc_status_bytes(getpid(), field);
    return bytes > 0 ? static_cast<double>(bytes) / bytes_per_mib : -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0); false when the kernel refuses.
bool reset_peak_rss() {
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
    clear_refs.flush();
    return static_cast<bool>(clear_refs);
}

struct VerifyInputs {
    sh::model::OutcomeTable outcomes;
    sh::model::OrderAttributes attributes{1, 1000, 0.0003};  // ~3000 poison orders
    std::vector<sh::verify::GroupLedger> ledgers;
};

sh::verify::GroupLedger make_ledger(const VerifyInputs& inputs, const std::string& group,
                                    bool points_effect) {
    sh::verify::GroupLedger ledger;
    ledger.group = group;
    ledger.points_effect = points_effect;
    ledger.applied_bitmap.assign((orders + 7) / 8, static_cast<char>(0xFF));
    auto clear_bit = [&](std::uint64_t seq) {
        ledger.applied_bitmap[seq >> 3] = static_cast<char>(
            static_cast<unsigned char>(ledger.applied_bitmap[seq >> 3]) & ~(0x80U >> (seq & 7)));
    };
    for (std::uint64_t seq = 0; seq < orders; ++seq) {
        // Poison orders and every 20011th order (transient failures) end in the DLQ, unapplied.
        if (inputs.attributes.is_poison(seq) || seq % 20011 == 20010) {
            clear_bit(seq);
            ledger.dead_letters.push_back({seq, "max-deliveries", 5});
        }
    }
    ledger.dead_letters.push_back({std::nullopt, "malformed", 1});
    for (std::uint64_t seq : {17ULL, 123'457ULL, 4'000'001ULL, 7'777'777ULL, 9'999'998ULL}) {
        ledger.extra_applications[seq] = 1;  // applied twice (an `after`-mode crash)
    }
    if (points_effect) {
        std::int64_t total = 0;
        for (std::uint64_t seq = 0; seq < orders; ++seq) {
            auto byte = static_cast<unsigned char>(ledger.applied_bitmap[seq >> 3]);
            if ((byte >> (7 - (seq & 7))) & 1U) total += inputs.attributes.amount_of(seq);
        }
        for (const auto& [seq, extra] : ledger.extra_applications) {
            total += extra * inputs.attributes.amount_of(seq);
        }
        ledger.points_total = total;
    }
    ledger.shares = {{group + "-0-1", orders / 2}, {group + "-1-1", orders - orders / 2}};
    return ledger;
}

void BM_VerifyGroups10M(benchmark::State& state) {
    // Memory freed but kept by malloc (earlier benchmarks, setup) would hide new allocations.
    malloc_trim(0);
    const double rss_start_mib = proc_status_mib("VmRSS");
    VerifyInputs inputs;
    {
        sh::model::OutcomeTable::Writer writer(inputs.outcomes);
        for (std::uint64_t seq = 0; seq < orders; ++seq) {
            writer.record(seq, seq % 100'000 == 99'999 ? Outcome::indeterminate : Outcome::ok);
        }
        inputs.outcomes.resize(orders);
    }
    inputs.ledgers.push_back(make_ledger(inputs, "score", true));
    inputs.ledgers.push_back(make_ledger(inputs, "push", false));

    malloc_trim(0);
    const double rss_inputs_mib = proc_status_mib("VmRSS");
    const double peak_before_reset_mib = proc_status_mib("VmHWM");
    const bool peak_reset = reset_peak_rss();
    std::uint64_t lost = 0, duplicated = 0, dead_lettered = 0;
    bool consistent = true;
    for (auto _ : state) {
        for (const auto& ledger : inputs.ledgers) {
            auto verdict = sh::verify::verify_group(inputs.outcomes, inputs.attributes, ledger);
            lost += verdict.lost;
            duplicated += verdict.duplicated;
            dead_lettered += verdict.dead_lettered;
            consistent = consistent && verdict.points_consistent;
            benchmark::DoNotOptimize(verdict);
        }
    }
    const double peak_after_reset_mib = proc_status_mib("VmHWM");
    if (lost != 0 || duplicated != 5 * 2 * static_cast<std::uint64_t>(state.iterations()) ||
        !consistent) {
        state.SkipWithError("unexpected verdict: the inputs are not what this benchmark intends");
    }

    const auto& outcomes = inputs.outcomes;
    double bitmaps_bytes = 0;
    for (const auto& ledger : inputs.ledgers) bitmaps_bytes += ledger.applied_bitmap.size();
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(orders) *
                            static_cast<std::int64_t>(inputs.ledgers.size()));
    // All in MiB. The process's peak RSS (VmHWM, read before and after the reset below), which
    // includes the benchmark runner, earlier benchmarks and the inputs...
    state.counters["peak_rss_MiB"] = std::max(peak_before_reset_mib, peak_after_reset_mib);
    // ...its RSS before the inputs were built, and once they were...
    state.counters["rss_start_MiB"] = rss_start_mib;
    state.counters["rss_inputs_MiB"] = rss_inputs_mib;
    // ...and what verify_group adds on top of its inputs (-1 when the peak could not be reset).
    state.counters["verify_extra_MiB"] = peak_reset ? peak_after_reset_mib - rss_inputs_mib : -1;
    state.counters["outcome_MiB"] = static_cast<double>(outcomes.memory_bytes()) / bytes_per_mib;
    state.counters["bitmaps_MiB"] = bitmaps_bytes / bytes_per_mib;
    state.counters["dead_letters"] =
        static_cast<double>(dead_lettered / static_cast<std::uint64_t>(state.iterations()));
}

}  // namespace

BENCHMARK(BM_VerifyGroups10M)->Iterations(2)->UseRealTime()->Unit(benchmark::kMillisecond);
