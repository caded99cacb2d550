#include "reports/replication_json.hpp"

#include "reports/report_keys.hpp"

namespace sh::reports {

using nlohmann::json;

namespace {

json optional_json(const std::optional<std::string>& value) {
    return value ? json(*value) : json(nullptr);
}

json change_json(const run::RunResult& result, std::size_t index) {
    const auto& change = result.primary_changes[index];
    const auto& event = result.events[change.event_index];
    json groups = json::object();
    for (const auto& group : change.groups) {
        std::uint64_t redelivered = 0;
        for (const auto& verdict : result.groups) {
            if (verdict.name == group.group &&
                index < verdict.verdict.duplicated_by_change.size()) {
                redelivered = verdict.verdict.duplicated_by_change[index];
            }
        }
        groups[group.group] = {{key::last_delivered_before, group.last_delivered_before},
                               {key::last_delivered_after, group.last_delivered_after},
                               {key::rolled_back_entries, group.rolled_back_entries},
                               {key::missing, group.missing},
                               {key::consumers_missing, group.consumers_missing},
                               {key::redelivered_after_ack, redelivered}};
    }
    const auto& lost = result.lost_writes;
    return {{key::event_index, change.event_index},
            {key::kind, change.kind},
            {key::at_s, event.at_s},
            {key::old_primary, optional_json(event.facts.old_primary)},
            {key::new_primary, optional_json(event.facts.new_primary)},
            {key::to_new_primary_ms,
             event.facts.to_new_primary_ms ? json(*event.facts.to_new_primary_ms) : json(nullptr)},
            {key::order_watermark, change.order_watermark},
            {key::lost_writes,
             lost && index < lost->by_change.size() ? json(lost->by_change[index]) : json(nullptr)},
            {key::clients,
             {{key::no_primary_ms, change.clients.no_primary_ms},
              {key::not_primary_replies, change.clients.not_primary_replies},
              {key::nogroup_replies, change.clients.nogroup_replies},
              {key::no_replicas_replies, change.clients.no_replicas_replies}}},
            {key::groups, groups}};
}

}  // namespace

json replication_json(const run::RunResult& result) {
    if (!result.lost_writes) return nullptr;
    json changes = json::array();
    for (std::size_t i = 0; i < result.primary_changes.size(); ++i) {
        changes.push_back(change_json(result, i));
    }
    json stores = json::object();
    for (const auto& group : result.workload.groups) {
        stores[group.name] = workload::to_string(group.effect_store);
    }
    const auto& lost = *result.lost_writes;
    json clients = nullptr;
    if (const auto& outage = result.client_outage) {
        clients = {{key::producers_no_primary_ms, outage->producers_total_ms},
                   {key::producers_max_no_primary_ms, outage->producers_max_ms},
                   {key::consumers_no_primary_ms, outage->consumers_total_ms},
                   {key::consumers_max_no_primary_ms, outage->consumers_max_ms},
                   {key::producer_wait_short, outage->producer_wait_short}};
    }
    return {{key::effect_stores, stores},
            {key::lost_writes,
             {{key::total, lost.total},
              {key::unattributed, lost.unattributed},
              {key::entries_in_stream, lost.entries_in_stream},
              {key::sample, lost.sample}}},
            {key::changes, changes},
            {key::clients, clients}};
}

}  // namespace sh::reports
