#include "harness/run/run_servers.hpp"

#include <cstdio>

#include "harness/errors.hpp"
#include "harness/workload/workload_checks.hpp"

namespace sh::run {

namespace {

bool uses_separate_store(const workload::Workload& workload) {
    for (const auto& group : workload.groups) {
        if (group.effect_store == workload::EffectStore::separate) return true;
    }
    return false;
}

}  // namespace

RunServers::RunServers(const workload::Workload& workload,
                       const std::optional<redis::Endpoint>& external) {
    if (external) {
        endpoint_ = *external;
        // What the embedded topology's workload was checked for at load.
        if (endpoint_.through_sentinel()) {
            workload::Problems problems;
            workload::check_for_replicas(workload, true, problems);
            if (!problems.empty()) throw WorkloadError(problems.take());
        }
    } else if (workload.topology.cluster.enabled()) {
        const auto& spec = workload.topology.cluster;
        redis::ClusterOptions options;
        options.primaries = static_cast<int>(spec.primaries);
        options.replicas_per_primary = static_cast<int>(spec.replicas_per_primary);
        options.node_timeout = std::chrono::milliseconds(spec.node_timeout_ms);
        options.persistence = workload.persistence;
        cluster_ = std::make_unique<redis::EmbeddedCluster>(options);
        endpoint_ = cluster_->seed();
        endpoint_.cluster = redis::ClusterMode::on;
    } else {
        const auto& spec = workload.topology;
        redis::TopologyOptions options;
        options.replicas = static_cast<int>(spec.replicas);
        options.sentinels = static_cast<int>(spec.sentinels);
        options.min_replicas_to_write = static_cast<int>(spec.min_replicas_to_write);
        options.min_replicas_max_lag_s = static_cast<int>(spec.min_replicas_max_lag_s);
        options.persistence = workload.persistence;
        options.down_after = std::chrono::milliseconds(spec.down_after_ms);
        topology_ = std::make_unique<redis::EmbeddedTopology>(options);
        endpoint_ = topology_->client_endpoint();
    }
    // Outside the topology, so that no failover rolls it back: what a real side effect (a
    // payment, a notification) would see.
    if (uses_separate_store(workload)) {
        effect_store_ = std::make_unique<redis::EmbeddedServer>(
            redis::EmbeddedServerOptions(redis::Persistence::none, "redis-server"));
    }
}

redis::EmbeddedServer* RunServers::single_server() {
    if (!topology_ || topology_->node_count() != 1) return nullptr;
    return &topology_->node(0);
}

std::optional<redis::Endpoint> RunServers::effect_store() const {
    if (!effect_store_) return std::nullopt;
    return effect_store_->endpoint();
}

bool RunServers::replicated() const {
    return endpoint_.through_sentinel() || (topology_ && topology_->node_count() > 1);
}

void require_wait_support(const workload::Workload& workload, const std::string& redis_version) {
    int major = 0;
    int minor = 0;
    std::sscanf(redis_version.c_str(), "%d.%d", &major, &minor);
    if (major > 7 || (major == 7 && minor >= 2)) return;
    auto refuse = [&](const std::string& field) {
        throw EnvironmentError(field + ": WAITAOF needs Redis 7.2 or later; this server runs " +
                               redis_version + " (use WAIT: set aof_local and aof_replicas to 0)");
    };
    if (workload.producers.wait.needs_waitaof()) refuse("producers.wait");
    for (std::size_t i = 0; i < workload.groups.size(); ++i) {
        if (workload.groups[i].ack_wait.needs_waitaof()) {
            refuse("groups." + std::to_string(i) + ".ack_wait");
        }
    }
}

}  // namespace sh::run
