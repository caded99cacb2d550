// Reading what a run left: its keys on the server (kept with --keep-keys) and its report.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/redis/connection.hpp"
#include "harness/redis/streams.hpp"

namespace sh::testing {

// A key of the run: "sh:{<run>:<stream>:0}:<suffix>" (suffix "stream", "dlq:score"...).
std::string run_key(const std::string& run_id, const std::string& suffix,
                    const std::string& stream = "ordermq");
// Every key of the run still on the server, its record included (SCAN, never KEYS).
std::vector<std::string> keys_of_run(redis::Connection& connection, const std::string& run_id);
void delete_keys(redis::Connection& connection, const std::vector<std::string>& keys);
std::vector<redis::StreamEntry> whole_stream(redis::Connection& connection, const std::string& key);

// The report's gate of that name (and group or fault, when given), or nullptr.
const nlohmann::json* find_gate(const nlohmann::json& report, const std::string& gate,
                                const std::string& scope = {});
// The report's events of that kind that happened (skipped ones left out).
std::vector<nlohmann::json> events_of(const nlohmann::json& report, const std::string& kind);

}  // namespace sh::testing
