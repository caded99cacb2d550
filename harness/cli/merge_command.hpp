// `streamharness merge DIR...` (DESIGN §11.1): one report of a run its agents shared.
#pragma once

#include <string>
#include <vector>

#include "harness/redis/url.hpp"

namespace sh::cli {

// Reads every agent's report (DIR/report.json, or the file itself), refuses a set that is not
// exactly one run's N agents (WorkloadError), judges the run from Redis once, removes its keys
// (unless keep_keys), and writes report.json, report.html and junit.xml in out_dir (default
// reports/out/<run-id>). Exit 0 pass, 1 fail.
int merge_command(const redis::Endpoint& redis, const std::vector<std::string>& inputs,
                  const std::string& out_dir, bool keep_keys);

}  // namespace sh::cli
