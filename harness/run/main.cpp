// streamharness: the command line. Maps every error kind to its exit code in one place.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "chaos/controller.hpp"
#include "harness/errors.hpp"
#include "harness/run/produce_only.hpp"
#include "harness/run/supervisor.hpp"
#include "harness/run/worker.hpp"
#include "harness/workload/workload_json.hpp"
#include "reports/json_report.hpp"

namespace {

constexpr const char* tool_version = "0.1.0";
constexpr int interrupted_exit = 130;

std::string own_executable() {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string("streamharness") : path.string();
}

// The seed scenario by default: found from the working directory, next to the binary's source
// tree, or where the build put it.
std::string default_workload() {
    std::vector<std::filesystem::path> candidates = {
        "workloads/orders.json",
        std::filesystem::path(STREAMHARNESS_SOURCE_DIR) / "workloads/orders.json"};
    for (const auto& candidate : candidates) {
        if (std::filesystem::exists(candidate)) return candidate.string();
    }
    return candidates.front().string();
}

struct RunCommand {
    std::string workload_path;
    std::vector<std::string> overrides;
    std::string redis_url;
    std::string out_dir;
    std::string run_id;
    bool keep_keys = false;
    bool quiet = false;
};

// Prints each path's value on its own line: strings bare, everything else as JSON.
int show_fields(const std::string& file, const std::vector<std::string>& paths) {
    std::ifstream input(file);
    if (!input) throw sh::WorkloadError({file + ": cannot open"});
    auto report = nlohmann::json::parse(input, nullptr, false);
    if (report.is_discarded()) throw sh::WorkloadError({file + ": invalid JSON"});
    for (const auto& path : paths) {
        std::string pointer = "/" + path;
        std::replace(pointer.begin(), pointer.end(), '.', '/');
        auto json_pointer = nlohmann::json::json_pointer(pointer);
        if (!report.contains(json_pointer)) throw sh::WorkloadError({path + ": not in " + file});
        const auto& value = report.at(json_pointer);
        std::cout << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
    }
    return 0;
}

int run_command(const RunCommand& command) {
    sh::os::StopSignals stop;
    auto workload = sh::workload::load_workload(
        command.workload_path.empty() ? default_workload() : command.workload_path,
        command.overrides);
    sh::run::RunOptions options;
    if (!command.redis_url.empty()) options.redis_url = command.redis_url;
    options.run_id = command.run_id.empty() ? sh::run::generate_run_id() : command.run_id;
    options.out_dir = command.out_dir.empty() ? "reports/out/" + options.run_id : command.out_dir;
    options.executable = own_executable();
    options.keep_keys = command.keep_keys;
    options.quiet = command.quiet;
    sh::chaos::ChaosController chaos;
    if (!workload.chaos.events.empty()) options.observer = &chaos;
    try {
        auto result = sh::run::execute_run(workload, options, stop);
        auto report = sh::reports::build_report(result, tool_version);
        auto path = sh::reports::write_report(report, options.out_dir);
        std::cout << sh::reports::human_summary(report, path);
        return static_cast<int>(result.passed ? sh::ExitCode::pass : sh::ExitCode::gate_failed);
    } catch (const sh::EnvironmentError&) {
        if (stop.requested()) {
            std::cerr << "streamharness: interrupted; embedded Redis and workers stopped\n";
            return interrupted_exit;
        }
        throw;
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"streamharness: reliability and load testing for Redis Streams consumer groups"};
    app.set_version_flag("--version", tool_version);
    app.require_subcommand(1);

    RunCommand run;
    auto* run_cmd = app.add_subcommand("run", "run a workload and verify it");
    run_cmd->add_option("workload", run.workload_path,
                        "workload JSON file (default: workloads/orders.json, the seed scenario)");
    run_cmd->add_option("--redis", run.redis_url,
                        "redis://[user[:password]@]host[:port][/db] or unix:///path "
                        "(default: start an embedded redis-server)");
    run_cmd->add_option("--set", run.overrides, "override a workload field: path=value")
        ->allow_extra_args(false);
    run_cmd->add_option("--out", run.out_dir, "report directory (default reports/out/<run-id>)");
    run_cmd->add_option("--run-id", run.run_id, "run id (default: generated)");
    run_cmd->add_flag("--keep-keys", run.keep_keys,
                      "leave the run's keys on an external Redis for inspection");
    run_cmd->add_flag("--quiet", run.quiet, "no progress lines");

    std::string produce_url;
    sh::run::ProduceOnlyOptions produce;
    auto* produce_cmd = app.add_subcommand(
        "produce",
        "XADD orders as fast as possible (no consumers) and print the throughput as JSON");
    produce_cmd->add_option("--redis", produce_url, "Redis URL")->required();
    produce_cmd->add_option("--key", produce.stream_key, "stream key")->required();
    produce_cmd->add_option("--orders", produce.orders, "orders in total")->capture_default_str();
    produce_cmd->add_option("--connections", produce.connections, "producer connections (threads)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    produce_cmd->add_option("--pipeline", produce.pipeline, "XADDs per round trip")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    produce_cmd->add_option("--payload", produce.payload_bytes, "filler bytes per order")
        ->capture_default_str();

    std::string show_file;
    std::vector<std::string> show_paths;
    auto* show_cmd = app.add_subcommand(
        "show", "print fields of a JSON report by dotted path (for scripts without jq)");
    show_cmd->add_option("report", show_file, "report.json")->required();
    show_cmd
        ->add_option("paths", show_paths, "dotted paths, e.g. summary.bottleneck.redis_cpu_busy")
        ->required();

    sh::run::WorkerArgs worker;
    auto* worker_cmd = app.add_subcommand("worker", "(internal) one consumer process");
    worker_cmd->group("");  // hidden from --help: the supervisor starts workers
    worker_cmd->add_option("--workload", worker.workload_path)->required();
    worker_cmd->add_option("--run-id", worker.run_id)->required();
    worker_cmd->add_option("--group", worker.group)->required();
    worker_cmd->add_option("--name", worker.name)->required();
    worker_cmd->add_option("--client-name", worker.client_name);
    worker_cmd->add_option("--slot", worker.slot)->required();
    worker_cmd->add_option("--stats-fd", worker.stats_fd);
    worker_cmd->add_option("--seed", worker.seed);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : static_cast<int>(sh::ExitCode::usage);
    }
    try {
        if (*worker_cmd) return sh::run::run_worker(worker);
        if (*show_cmd) return show_fields(show_file, show_paths);
        if (*produce_cmd) {
            try {
                produce.endpoint = sh::redis::parse_url(produce_url);
            } catch (const std::invalid_argument& error) {
                throw sh::WorkloadError({std::string("--redis: ") + error.what()});
            }
            std::cout << sh::run::produce_only(produce).dump(2) << "\n";
            return 0;
        }
        return run_command(run);
    } catch (const sh::WorkloadError& error) {
        std::cerr << "streamharness: " << error.what() << "\n";
        return static_cast<int>(sh::ExitCode::usage);
    } catch (const sh::EnvironmentError& error) {
        std::cerr << "streamharness: " << error.what() << "\n";
        return static_cast<int>(sh::ExitCode::environment);
    } catch (const std::exception& error) {
        std::cerr << "streamharness: internal error: " << error.what() << "\n";
        return static_cast<int>(sh::ExitCode::environment);
    }
}
