// Round trips against a real (embedded) redis-server: the producers' pipelined XADD and the
// consumers' read + atomic ack path (XREADGROUP COUNT 50, decode, ack script).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "harness/consume/acknowledger.hpp"
#include "harness/model/keys.hpp"
#include "harness/model/order.hpp"
#include "harness/redis/connection.hpp"
#include "harness/redis/embedded_server.hpp"
#include "harness/redis/reply.hpp"
#include "harness/redis/streams.hpp"
#include "harness/workload/workload.hpp"

namespace {

constexpr std::size_t payload_bytes = 64;
constexpr std::int64_t base_send_ns = 1'764'060'000'000'000'000;

// One server for this file, started on first use and stopped at exit.
sh::redis::EmbeddedServer& server() {
    static const auto instance =
        std::make_unique<sh::redis::EmbeddedServer>(sh::redis::EmbeddedServerOptions{});
    return *instance;
}

// Sends `count` XADDs in pipelined rounds of `depth`, encoded the way the producer does (one
// RESP buffer per round); throws on an error reply.
void xadd_pipelined(sh::redis::Connection& connection, const std::string& key,
                    const sh::model::OrderAttributes& attributes, std::uint64_t& next_seq,
                    std::uint64_t count, std::uint64_t depth) {
    sh::redis::CommandBuffer buffer;
    while (count > 0) {
        const auto round = std::min(count, depth);
        buffer.clear();
        for (std::uint64_t i = 0; i < round; ++i, ++next_seq) {
            sh::model::append_xadd(
                buffer, key, "rbench",
                attributes.make(next_seq,
                                base_send_ns + static_cast<std::int64_t>(next_seq) * 333'333),
                payload_bytes);
        }
        connection.append(buffer);
        for (std::uint64_t i = 0; i < round; ++i) {
            sh::redis::throw_if_error({"XADD", key}, connection.read_reply());
        }
        count -= round;
    }
}

// One round per iteration: `depth` XADDs appended, then their `depth` replies read.
void BM_XaddPipelined(benchmark::State& state) {
    const auto depth = static_cast<std::uint64_t>(state.range(0));
    sh::redis::Connection connection(server().endpoint(), {});
    const std::string key = "bench:xadd:" + std::to_string(depth);
    connection.command({"DEL", key});
    const sh::model::OrderAttributes attributes;
    std::uint64_t next_seq = 0;
    for (auto _ : state) {
        xadd_pipelined(connection, key, attributes, next_seq, depth, depth);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(next_seq));
    connection.command({"DEL", key});
}

// One batch per iteration: XREADGROUP COUNT 50 ">", decode, then the atomic ack script
// (XACK + ledger bit + points) through the consumers' own Acknowledger.
void BM_ReadAndAck(benchmark::State& state) {
    constexpr std::uint64_t refill_orders = 20'000;
    sh::redis::Connection connection(server().endpoint(), {});
    const sh::model::RunKeys keys("bench", "ordermq");
    sh::workload::GroupSpec group;
    group.name = "score";
    group.effect = sh::workload::Effect::points;
    group.batch = 50;
    const std::string consumer = "score-0-1";
    sh::redis::Args del{"DEL"};
    for (const auto& key : keys.owned_keys({group.name})) del.push_back(key);
    connection.command(del);
    sh::redis::create_group(connection, keys.stream(), group.name, "0");
    sh::consume::Acknowledger acknowledger(keys, group, consumer);

    const sh::model::OrderAttributes attributes;
    std::uint64_t next_seq = 0;
    std::uint64_t unread = 0;
    auto refill = [&] {
        xadd_pipelined(connection, keys.stream(), attributes, next_seq, refill_orders, 64);
        unread += refill_orders;
    };
    refill();

    const sh::redis::Args read{"XREADGROUP", "GROUP",       group.name,
                               consumer,     "COUNT",       std::to_string(group.batch),
                               "STREAMS",    keys.stream(), ">"};
    std::vector<sh::consume::ProcessedEntry> batch;
    batch.reserve(static_cast<std::size_t>(group.batch));
    std::int64_t items = 0;
    std::int64_t not_applied = 0;
    for (auto _ : state) {
        if (unread < static_cast<std::uint64_t>(group.batch)) {
            state.PauseTiming();
            refill();
            state.ResumeTiming();
        }
        auto reply = connection.command(read);
        auto entries = sh::redis::parse_read_reply(sh::redis::ReplyView(reply.get()));
        batch.clear();
        for (auto& entry : entries) {
            auto order = sh::model::decode_order(entry.fields);
            if (order) batch.push_back({std::move(entry.id), *order});
        }
        auto statuses = acknowledger.apply(connection, connection, batch, /*with_ack=*/true);
        for (auto status : statuses) {
            if (status != sh::consume::AckStatus::applied) ++not_applied;
        }
        unread -= entries.size();
        items += static_cast<std::int64_t>(batch.size());
    }
    if (not_applied != 0) state.SkipWithError("the ack script did not apply every entry once");
    state.SetItemsProcessed(items);
    connection.command(del);
}

}  // namespace

BENCHMARK(BM_XaddPipelined)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->MinTime(0.2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReadAndAck)->MinTime(0.2)->UseRealTime()->Unit(benchmark::kMicrosecond);
