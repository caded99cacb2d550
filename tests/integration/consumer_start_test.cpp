// The built-in consumer against a real redis-server, in-process: a connection lost while it
// starts (a chaos disconnect just after a restart) must be recovered from like any other, not
// end the worker.
#include <atomic>
#include <memory>
#include <thread>

#include "harness/consume/consumer.hpp"
#include "harness/redis/clients.hpp"
#include "harness/redis/streams.hpp"
#include "tests/support/redis_fixture.hpp"

namespace sh::testing {
namespace {

class ConsumerStart : public RedisTest {};

TEST_F(ConsumerStart, AConnectionLostBeforeTheGroupIsCreatedIsRecoveredFrom) {
    auto control = connect();
    workload::GroupSpec group;
    group.name = "score";
    consume::ConsumerConfig config{redis::parse_url(url()),
                                   model::RunKeys("rstart", "ordermq", {}, "rstart/1"),
                                   group,
                                   "score-1-1",
                                   "sh:rstart:score-1-1",
                                   1,
                                   "0",
                                   std::nullopt,
                                   {}};
    auto slot = std::make_unique<measure::ConsumerSlot>();
    consume::Consumer consumer(config, *slot);  // connected, nothing sent yet but its name

    std::size_t killed = 0;
    for (const auto& client : redis::client_list(control)) {
        if (client.name != config.client_name) continue;
        killed += integer(control, {"CLIENT", "KILL", "ID", client.id});
    }
    ASSERT_EQ(killed, 1u);

    std::atomic<bool> threw{false};
    std::thread worker([&] {
        try {
            consumer.run([&] { return slot->counters.starts.load() > 0; });
        } catch (const std::exception&) {
            threw = true;
        }
    });
    worker.join();
    EXPECT_FALSE(threw);
    EXPECT_EQ(slot->counters.starts.load(), 1u);
    EXPECT_EQ(slot->counters.reconnects.load(), 1u);
    auto groups = redis::xinfo_groups(control, config.keys.stream());
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0].name, "score");
    integer(control, {"DEL", config.keys.stream()});
}

}  // namespace
}  // namespace sh::testing
