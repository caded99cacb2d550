#include "harness/cli/merge_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "harness/cli/command_support.hpp"
#include "harness/cli/commands.hpp"
#include "harness/errors.hpp"
#include "harness/run/redis_setup.hpp"
#include "harness/run/shared_verdict.hpp"
#include "reports/merge_parts.hpp"
#include "reports/report_json.hpp"
#include "reports/report_keys.hpp"
#include "reports/run_summary.hpp"

namespace sh::cli {

namespace key = reports::key;

int merge_command(const redis::Endpoint& redis, const std::vector<std::string>& inputs,
                  const std::string& out_dir, bool keep_keys) {
    std::vector<std::string> paths;
    std::vector<nlohmann::json> documents;
    for (const auto& input : inputs) {
        auto path = std::filesystem::is_directory(input)
                        ? (std::filesystem::path(input) / "report.json").string()
                        : input;
        documents.push_back(read_json_file(path));
        paths.push_back(path);
    }
    // Every refusal before Redis is touched: a wrong set of reports loses nothing.
    auto [agents, result] = reports::merge_agent_reports(paths, documents);
    // The reports are written before the keys go: a directory that cannot take them is
    // refused now.
    auto dir = out_dir.empty() ? "reports/out/" + result.run_id : out_dir;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error || access(dir.c_str(), W_OK) != 0) {
        throw usage_error({"--out: cannot write reports to '" + dir + "'" +
                           (error ? ": " + error.message() : std::string())});
    }

    auto connection = connect_for(redis, result.run_id, "merge");
    auto record = record_of(connection, result.run_id);
    std::vector<std::string> problems;
    if (record.agents != static_cast<int>(agents.size())) {
        problems.push_back("run " + result.run_id + " was started for " +
                           std::to_string(record.agents) + " agents, and " +
                           std::to_string(agents.size()) + " reports were given");
    }
    for (const auto& agent : agents) {
        // The run id can be used again: the entry stamp's random part is this run's alone.
        auto stamp = agent.report[key::environment].value(key::entry_stamp, "");
        if (stamp != record.stamp) {
            problems.push_back(agent.path +
                               ": written by an earlier run with this id (entry "
                               "stamp " +
                               stamp + ", the run on Redis has " + record.stamp + ")");
        }
    }
    if (!problems.empty()) throw WorkloadError(problems);
    std::vector<run::AgentPart> parts;
    for (const auto& agent : agents) parts.push_back(agent.section.part);
    run::judge_shared_run(result, connection, record, parts);

    auto report = report_of(result);
    reports::merge_sections(report, agents);
    auto path = write_all_reports(report, dir);
    if (!keep_keys) {
        const auto& workload = record.workload;
        model::StreamShards shards(record.run_id, workload.stream.name, workload.stream.key,
                                   record.stamp, workload.stream.shards);
        std::vector<std::string> groups;
        for (const auto& group : workload.groups) groups.push_back(group.name);
        auto notes = run::remove_created(connection, shards, groups, record.created);
        if (!notes.empty()) {
            report[key::summary][key::cleanup][key::not_removed] = notes;
            write_all_reports(report, dir);
        }
    }
    std::cout << "merged " << agents.size() << " agents of run " << result.run_id << "\n"
              << reports::human_summary(report, path);
    return report[key::verdict] == reports::value::pass ? 0 : 1;
}

}  // namespace sh::cli
