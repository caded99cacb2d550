// Reading the server's INFO: one field of a section, as the server writes it.
#pragma once

#include <functional>
#include <string>

#include "harness/redis/connection.hpp"

namespace sh::redis {

// An INFO field as text ("" when absent), e.g. info_field(c, "memory", "maxmemory_policy").
std::string info_field(Connection& connection, const std::string& section,
                       const std::string& field);

// INFO and CONFIG answer for one node. Visits the connection itself on one server; over a
// Redis Cluster, a plain connection to each primary of the current slot map (so a figure such
// as evicted_keys is summed over every node that holds the run's keys).
void for_each_primary(Connection& connection, const std::function<void(Connection&)>& visit);
// Every node of a cluster that CLUSTER NODES lists as reachable, replicas included (a node that
// does not answer is skipped); on one server, the connection itself.
void for_each_node(Connection& connection, const std::function<void(Connection&)>& visit);

}  // namespace sh::redis
