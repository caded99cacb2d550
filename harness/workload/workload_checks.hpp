// Checks across fields of a parsed workload: names, targets, and the arithmetic that tells a
// workload it cannot do what it asks (a drain too short to dead-letter a poison order).
#pragma once

#include "harness/workload/object_reader.hpp"
#include "harness/workload/workload.hpp"

namespace sh::workload {

void check_consistency(const Workload& workload, Problems& problems);

}  // namespace sh::workload
