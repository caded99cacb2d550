// Short questions to one node or Sentinel of an embedded topology, each with a 200 ms timeout
// (embedded_topology.cpp asks them while a failover is under way, and must not hang on a
// stalled node).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "harness/redis/connection.hpp"

namespace sh::redis {

// Polls until missing() returns "" or the deadline passes; returns what was still missing.
std::string poll_until(std::chrono::steady_clock::time_point deadline,
                       const std::function<std::string()>& missing);
Endpoint loopback(int port);
// A connection to exactly this node: never through a Sentinel endpoint, never routed over a
// cluster.
Connection quick_connection(Endpoint endpoint);
std::string role_of(Connection& connection);
// Sentinel answers SENTINEL replicas/sentinels with a flat name/value array per entry (RESP2).
std::vector<std::map<std::string, std::string>> entries(const ReplyView& reply);
// Neither disconnected nor subjectively down, per a Sentinel's flags.
bool healthy(const std::map<std::string, std::string>& entry);
// The port a Sentinel gives for the master named master_name, or -1.
int master_port_named_by(Connection& sentinel, const char* master_name);

}  // namespace sh::redis
