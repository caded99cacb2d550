// What several subcommands share: reading a JSON report, writing a run's three reports, and
// finding a run on Redis from its id (run, verify, cleanup, merge).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/redis/connection.hpp"
#include "harness/run/run_record.hpp"
#include "harness/run/run_result.hpp"

namespace sh::cli {

// Throws WorkloadError (exit 2) when the file cannot be opened or is not JSON.
nlohmann::json read_json_file(const std::string& path);
// The run's report.json document, with its provenance (DESIGN §9.1).
nlohmann::json report_of(const run::RunResult& result);
// report.json, report.html, junit.xml and summary.md side by side; returns the JSON's path.
std::filesystem::path write_all_reports(const nlohmann::json& report,
                                        const std::filesystem::path& dir);
// The run's record (EnvironmentError when there is none, or when the run is still going).
run::RunRecord record_of(redis::Connection& connection, const std::string& run_id);
// A connection named after the run and what it is for.
redis::Connection connect_for(const redis::Endpoint& endpoint, const std::string& run_id,
                              const char* what);

}  // namespace sh::cli
