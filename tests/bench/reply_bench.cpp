// Reading an XREADGROUP batch into orders: parse_read_reply + decode_order over a real 100-entry
// reply from an embedded redis-server (obtained once; re-parsed every iteration).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "harness/model/order.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_server.hpp"
#include "harness/redis/reply.hpp"
#include "harness/redis/streams.hpp"

namespace {

constexpr std::size_t batch_size = 100;
constexpr std::size_t payload_bytes = 64;

// One reply per process, taken from a server started on first use.
struct ReadBatch {
    std::unique_ptr<sh::redis::EmbeddedServer> server;
    sh::redis::ReplyPtr reply;
};

const ReadBatch& read_batch() {
    static const std::unique_ptr<ReadBatch> batch = [] {
        auto result = std::make_unique<ReadBatch>();
        result->server =
            std::make_unique<sh::redis::EmbeddedServer>(sh::redis::EmbeddedServerOptions{});
        sh::redis::Connection connection(result->server->endpoint(), {});
        const std::string key = "bench:reply:stream";
        const sh::model::OrderAttributes attributes;
        for (std::size_t seq = 0; seq < batch_size; ++seq) {
            sh::redis::Args xadd{"XADD", key, "*"};
            auto fields = sh::model::order_fields(
                "rbench",
                attributes.make(
                    seq, 1'764'060'000'000'000'000 + 333'333 * static_cast<std::int64_t>(seq)),
                payload_bytes);
            xadd.insert(xadd.end(), fields.begin(), fields.end());
            connection.append(xadd);
        }
        for (std::size_t i = 0; i < batch_size; ++i) {
            sh::redis::throw_if_error({"XADD", key}, connection.read_reply());
        }
        sh::redis::create_group(connection, key, "score", "0");
        result->reply = connection.command({"XREADGROUP", "GROUP", "score", "score-0-1", "COUNT",
                                            std::to_string(batch_size), "STREAMS", key, ">"});
        auto entries = sh::redis::parse_read_reply(sh::redis::ReplyView(result->reply.get()));
        if (entries.size() != batch_size) {
            throw std::runtime_error("XREADGROUP returned " + std::to_string(entries.size()) +
                                     " entries, expected " + std::to_string(batch_size));
        }
        return result;
    }();
    return *batch;
}

void BM_ParseReadReply(benchmark::State& state) {
    const auto& batch = read_batch();
    for (auto _ : state) {
        auto entries = sh::redis::parse_read_reply(sh::redis::ReplyView(batch.reply.get()));
        benchmark::DoNotOptimize(entries.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch_size));
}

void BM_ParseAndDecodeBatch(benchmark::State& state) {
    const auto& batch = read_batch();
    for (auto _ : state) {
        auto entries = sh::redis::parse_read_reply(sh::redis::ReplyView(batch.reply.get()));
        std::uint64_t decoded = 0;
        for (const auto& entry : entries) {
            auto order = sh::model::decode_order(entry.fields);
            if (order) decoded += order->seq;
            benchmark::DoNotOptimize(order);
        }
        benchmark::DoNotOptimize(decoded);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch_size));
}

}  // namespace

BENCHMARK(BM_ParseReadReply)->MinTime(0.2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseAndDecodeBatch)->MinTime(0.2)->Unit(benchmark::kMicrosecond);
