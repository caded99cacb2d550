// The cost of the cluster layer: the same commands against the same server (a one-node
// EmbeddedCluster owning all 16384 slots) through the single-node path (cluster=no) and through
// cluster mode (cluster=yes), in one run, so that their ratio is the layer's per-command cost.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>

#include "harness/model/order.hpp"
#include "harness/redis/command_buffer.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_cluster.hpp"
#include "harness/redis/reply.hpp"

namespace {

using sh::redis::ClusterMode;

constexpr std::size_t payload_bytes = 64;
constexpr std::uint64_t pipeline_depth = 64;

// One cluster for this file, started on first use and stopped at exit.
sh::redis::EmbeddedCluster& cluster() {
    static const auto instance = [] {
        sh::redis::ClusterOptions options;
        options.primaries = 1;
        return std::make_unique<sh::redis::EmbeddedCluster>(options);
    }();
    return *instance;
}

sh::redis::Connection connect(ClusterMode mode) {
    auto endpoint = cluster().seed();
    endpoint.cluster = mode;
    return sh::redis::Connection(endpoint, {});
}

// A key per benchmark and mode, so that the two paths never share a stream.
std::string key_for(const char* what, ClusterMode mode) {
    return std::string("bench:{") + what + "}:" + (mode == ClusterMode::on ? "cluster" : "single");
}

void BM_Set(benchmark::State& state, ClusterMode mode) {
    auto connection = connect(mode);
    const sh::redis::Args set{"SET", key_for("set", mode), "value"};
    for (auto _ : state) connection.command(set);
    state.SetItemsProcessed(state.iterations());
}

void BM_Xadd(benchmark::State& state, ClusterMode mode) {
    auto connection = connect(mode);
    const auto key = key_for("xadd", mode);
    connection.command({"DEL", key});
    const sh::redis::Args xadd{"XADD", key, "MAXLEN", "~", "10000", "*", "n", "1"};
    for (auto _ : state) connection.command(xadd);
    state.SetItemsProcessed(state.iterations());
    connection.command({"DEL", key});
}

// One round per iteration: 64 XADDs encoded as the producer encodes them (one CommandBuffer),
// appended with one call, then their 64 replies read.
void BM_XaddPipeline64(benchmark::State& state, ClusterMode mode) {
    auto connection = connect(mode);
    const auto key = key_for("pipeline", mode);
    connection.command({"DEL", key});
    const sh::model::OrderAttributes attributes;
    sh::redis::CommandBuffer buffer;
    std::uint64_t seq = 0;
    for (auto _ : state) {
        buffer.clear();
        for (std::uint64_t i = 0; i < pipeline_depth; ++i, ++seq) {
            sh::model::append_xadd(buffer, key, "cbench",
                                   attributes.make(seq, static_cast<std::int64_t>(seq)),
                                   payload_bytes);
        }
        connection.append(buffer);
        for (std::uint64_t i = 0; i < pipeline_depth; ++i) {
            sh::redis::throw_if_error({"XADD", key}, connection.read_reply());
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(seq));
    connection.command({"DEL", key});
}

}  // namespace

// Single-node and cluster mode side by side: compare items_per_second of each pair.
BENCHMARK_CAPTURE(BM_Set, single, ClusterMode::off)->MinTime(0.5)->UseRealTime();
BENCHMARK_CAPTURE(BM_Set, cluster, ClusterMode::on)->MinTime(0.5)->UseRealTime();
BENCHMARK_CAPTURE(BM_Xadd, single, ClusterMode::off)->MinTime(0.5)->UseRealTime();
BENCHMARK_CAPTURE(BM_Xadd, cluster, ClusterMode::on)->MinTime(0.5)->UseRealTime();
BENCHMARK_CAPTURE(BM_XaddPipeline64, single, ClusterMode::off)
    ->MinTime(0.5)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_XaddPipeline64, cluster, ClusterMode::on)
    ->MinTime(0.5)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
