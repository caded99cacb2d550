// Checks across fields of a parsed workload: names, targets, and the arithmetic that tells a
// workload it cannot do what it asks (a drain too short to dead-letter a poison order).
#pragma once

#include "harness/workload/object_reader.hpp"
#include "harness/workload/workload.hpp"

namespace sh::workload {

// What would hide a lost write (the run's own deletions) or needs a consumer that follows the
// primary: refused for an embedded topology with replicas at load, and for --sentinel at start.
void check_for_replicas(const Workload& workload, bool through_sentinel, Problems& problems);

// What a run on a Redis Cluster cannot do yet (WAIT, external consumers, disconnect faults):
// refused for an embedded cluster at load, and at start when --redis turns out to be one.
void check_for_cluster(const Workload& workload, Problems& problems);
// A run shared by `agents` agents (--agent I/N, DESIGN §11.1): every agent must have producers
// and orders of its own, and faults act on agent 1's consumers.
void check_for_agents(const Workload& workload, int agents, Problems& problems);

void check_consistency(const Workload& workload, Problems& problems);

}  // namespace sh::workload
