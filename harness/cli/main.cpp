// streamharness: the command line. Parses it, hands each subcommand to harness/cli/commands,
// and maps every error kind to its exit code in one place.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <optional>

#include "harness/cli/commands.hpp"
#include "harness/cli/merge_command.hpp"
#include "harness/cli/metrics_endpoint.hpp"
#include "harness/cli/produce_only.hpp"
#include "harness/cli/provenance.hpp"
#include "harness/cli/redis_target.hpp"
#include "harness/errors.hpp"
#include "harness/redis/url.hpp"
#include "harness/run/worker.hpp"

namespace {

constexpr int interrupted_exit = 130;

std::string own_executable() {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string("streamharness") : path.string();
}

void add_redis_options(CLI::App* command, sh::cli::RedisTargetFlags& flags,
                       const std::string& default_text) {
    command->add_option("--redis", flags.url,
                        "redis://[user[:password]@]host[:port][/db], rediss://... (TLS), "
                        "unix://[user[:password]@]/path or redis-sentinel://host:port[,...]/"
                        "<master>" +
                            default_text);
    command->add_option("--sentinel", flags.sentinel_url,
                        "redis-sentinel://[user[:password]@]host:port[,host:port...]/<master>: "
                        "find the primary through these Sentinels, and again after a failover "
                        "(the same as --redis with that URL)");
    command->add_flag("--cluster", flags.cluster,
                      "--redis is a node of a Redis Cluster: route every command by its key's "
                      "slot, and fail if it is not (without it, a cluster node is found out on "
                      "connect; the same as cluster=yes in the URL)");
    command->add_option("--redis-password-file", flags.password_file,
                        "read the password from this file (else from the URL, else from "
                        "$STREAMHARNESS_REDIS_PASSWORD): it stays out of ps and shell history");
    command->add_option("--tls-ca", flags.tls_ca,
                        "rediss://: CA certificates (PEM) to verify the server with (default: the "
                        "system's trust store)");
    command->add_option("--tls-cert", flags.tls_cert,
                        "rediss://: client certificate (PEM) for mutual TLS; needs --tls-key");
    command->add_option("--tls-key", flags.tls_key, "rediss://: the client certificate's key");
    command->add_option("--tls-server-name", flags.tls_server_name,
                        "rediss://: the name sent as SNI and checked against the server's "
                        "certificate (default: the URL host)");
    command->add_flag("--tls-insecure", flags.tls_insecure,
                      "rediss://: do not verify the server's certificate (testing only)");
}

// Run ids name keys (sh:{<run>:...}) and folders: no braces, colons, slashes or spaces.
std::string check_run_id(const std::string& id) {
    bool valid = !id.empty() && id.size() <= 64 && std::isalnum(static_cast<unsigned char>(id[0]));
    for (char c : id) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
            valid = false;
        }
    }
    return valid ? std::string()
                 : "'" + id +
                       "': a run id is 1-64 letters, digits, '-', '_' or '.', starting "
                       "with a letter or digit";
}

// Options shared by `run` and `capacity`.
void add_run_options(CLI::App* command, sh::cli::RunSettings& settings,
                     sh::cli::RedisTargetFlags& redis) {
    command->add_option("workload", settings.workload_path,
                        "workload JSON file (default: workloads/orders.json, the seed scenario)");
    add_redis_options(command, redis, " (default: start an embedded redis-server)");
    command->add_option("--set", settings.overrides, "override a workload field: path=value")
        ->allow_extra_args(false);
    command->add_option("--out", settings.out_dir, "report directory (default reports/out/<id>)");
    command
        ->add_option("--tag", settings.tag_options,
                     "key=value recorded in the reports' provenance (repeatable)")
        ->allow_extra_args(false);
    command->add_option("--run-id", settings.run_id, "run id (default: generated)")
        ->check(CLI::Validator(check_run_id, "RUN_ID"));
    command->add_flag("--keep-keys", settings.keep_keys,
                      "leave the run's keys on an external Redis for inspection");
    command->add_flag("--quiet", settings.quiet, "no progress display");
    command
        ->add_option("--metrics-listen", settings.metrics_listen,
                     "ADDR:PORT: serve live metrics (Prometheus text format) at GET /metrics "
                     "while the command runs, e.g. 127.0.0.1:9464 or :9464 (every interface)")
        ->check(CLI::Validator(sh::cli::check_listen_address, "ADDR:PORT"));
    command->add_flag("--allow-eviction", settings.allow_eviction,
                      "run on a Redis whose maxmemory-policy may evict keys (the run then fails "
                      "if any key is evicted while it goes)");
}

double fraction_option(const std::string& text, const char* flag) {
    return sh::reports::parse_tolerance(text, flag);
}

// CLI11 says "A subcommand is required" for a mistyped one: name it and the ones there are.
std::optional<std::string> unknown_subcommand(const CLI::App& app, int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return std::nullopt;
    std::string known;
    for (const auto* command : app.get_subcommands([](const CLI::App*) { return true; })) {
        if (command->get_name() == argv[1]) return std::nullopt;
        if (command->get_group().empty()) continue;  // internal
        known += (known.empty() ? "" : ", ") + command->get_name();
    }
    return "unknown command '" + std::string(argv[1]) + "' (commands: " + known +
           "; see streamharness --help)";
}

// Credentials refused or missing: say where the harness takes them from.
std::string with_credentials_hint(const std::string& message) {
    for (const char* refusal : {"NOAUTH", "WRONGPASS", "invalid password", "invalid username"}) {
        if (message.find(refusal) != std::string::npos) {
            return message +
                   "\n  (credentials: redis://user:password@host in --redis, or the password "
                   "in --redis-password-file or $" +
                   sh::cli::redis_password_env + ")";
        }
    }
    return message;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"streamharness: reliability and load testing for Redis Streams consumer groups"};
    app.set_version_flag("--version", sh::cli::tool_version);
    app.require_subcommand(1);

    sh::cli::RunSettings run;
    sh::cli::RedisTargetFlags run_redis;
    int repeat = 1;
    auto* run_cmd = app.add_subcommand("run", "run a workload and verify it");
    add_run_options(run_cmd, run, run_redis);
    run_cmd->add_option("--repeat", repeat, "run N times; report each run and their aggregate")
        ->check(CLI::Range(1, 1000));
    std::string agent;
    run_cmd
        ->add_option("--agent", agent,
                     "I/N: run agent I's share of a run N agents share (same workload, "
                     "--redis and --run-id on each); its report is a part for `merge`")
        ->check(CLI::Validator(
            [](const std::string& text) {
                std::string error;
                sh::model::parse_agent_share(text, error);
                return error;
            },
            "I/N"));
    run_cmd
        ->add_option("--agent-timeout-s", run.agent_timeout_s,
                     "how long an agent waits at each barrier for the others")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 86400.0));

    std::string report_file;
    auto* report_cmd = app.add_subcommand(
        "report", "re-render report.html and junit.xml (or capacity.html) next to a JSON report");
    report_cmd->add_option("report", report_file, "report.json or capacity.json")->required();

    sh::cli::CompareSettings compare;
    auto* compare_cmd = app.add_subcommand(
        "compare", "compare two reports; exit 1 when NEW regressed beyond the tolerances");
    compare_cmd->add_option("base", compare.base_path, "BASE report.json")->required();
    compare_cmd->add_option("new", compare.candidate_path, "NEW report.json")->required();
    compare_cmd->add_option("--max-throughput-drop", compare.max_throughput_drop,
                            "allowed throughput drop (default 5%)");
    compare_cmd->add_option("--max-p50-rise", compare.max_p50_rise,
                            "allowed p50 latency rise (default: not gated)");
    compare_cmd->add_option("--max-p99-rise", compare.max_p99_rise,
                            "allowed p99 latency rise (default 10%)");
    compare_cmd->add_option("--max-recovery-rise", compare.max_recovery_rise,
                            "allowed rise of recovery time after faults (default: not gated)");
    compare_cmd->add_option("--max-redis-cpu-rise", compare.max_redis_cpu_rise,
                            "allowed rise of Redis CPU busy (default: not gated)");
    compare_cmd
        ->add_option(
            "--min-latency-delta-ms", compare.min_latency_delta_ms,
            "latency changes this small are noise, whatever their percentage (default 0.1)")
        ->check(CLI::NonNegativeNumber);
    compare_cmd->add_option("--tolerances", compare.tolerances_file,
                            "JSON file of tolerances; flags override it");
    compare_cmd->add_flag("--allow-different-workloads", compare.allow_different_workloads,
                          "compare reports of differently named workloads");
    auto* compare_json =
        compare_cmd->add_flag("--json", compare.json_output, "print the comparison as JSON");
    compare_cmd
        ->add_flag("--markdown", compare.markdown_output,
                   "print the comparison as Markdown (CI job summary, pull-request comment)")
        ->excludes(compare_json);
    compare_cmd->add_option("--html", compare.html_path,
                            "also write the comparison page (base and new charted) to this file");

    sh::cli::RunSettings capacity;
    sh::cli::RedisTargetFlags capacity_redis;
    sh::cli::CapacityOptions capacity_options;
    double step_duration_s = 10;
    std::string search = "bisect";
    std::string resolution = "5%";
    auto* capacity_cmd = app.add_subcommand(
        "capacity", "find the highest producer rate that meets the SLO, each step a real run");
    add_run_options(capacity_cmd, capacity, capacity_redis);
    capacity_cmd
        ->add_option("--slo-p99-ms", capacity_options.max_p99_ms,
                     "SLO: end-to-end p99 of every group, ms")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    capacity_cmd
        ->add_option("--max-lag", capacity_options.max_lag,
                     "SLO: undelivered entries in any second of the load phase")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    capacity_cmd->add_option("--max-lost", capacity_options.max_lost, "SLO: lost orders")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    capacity_cmd->add_option("--min-rate", capacity_options.min_rate, "first rate, orders/s")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    capacity_cmd->add_option("--max-rate", capacity_options.max_rate, "highest rate tried")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    capacity_cmd
        ->add_option("--search", search,
                     "bisect or step the producer rate, or consumers: the fewest consumers per "
                     "group at a fixed rate")
        ->check(CLI::IsMember({"bisect", "step", "consumers"}))
        ->capture_default_str();
    capacity_cmd->add_option("--rate", capacity_options.consumers_rate,
                             "consumers search: the producer rate (default: the workload's)");
    capacity_cmd
        ->add_option("--min-consumers", capacity_options.min_consumers,
                     "consumers search: first count per group")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    capacity_cmd
        ->add_option("--max-consumers", capacity_options.max_consumers,
                     "consumers search: highest count per group")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    capacity_cmd
        ->add_option("--step-rate", capacity_options.step_rate, "step search: increment, orders/s")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    capacity_cmd
        ->add_option("--resolution", resolution,
                     "bisect: stop when the knee is bracketed this tightly")
        ->capture_default_str();
    capacity_cmd->add_option("--step-duration-s", step_duration_s, "load phase of each step")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 3600.0));
    capacity_cmd->add_option("--max-steps", capacity_options.max_steps, "at most this many runs")
        ->capture_default_str()
        ->check(CLI::Range(2, 1000));

    sh::cli::RedisTargetFlags produce_redis;
    sh::cli::ProduceOnlyOptions produce;
    auto* produce_cmd = app.add_subcommand(
        "produce",
        "XADD orders as fast as possible (no consumers) and print the throughput as JSON");
    add_redis_options(produce_cmd, produce_redis, "");
    produce_cmd->get_option("--redis")->required();
    produce_cmd->add_option("--key", produce.stream_key, "stream key")->required();
    produce_cmd->add_option("--orders", produce.orders, "orders in total")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    produce_cmd->add_option("--connections", produce.connections, "producer connections (threads)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    produce_cmd->add_option("--pipeline", produce.pipeline, "XADDs per round trip")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    produce_cmd->add_option("--payload", produce.payload_bytes, "filler bytes per order")
        ->capture_default_str();

    sh::cli::RedisTargetFlags after_redis;
    std::string after_run_id;
    std::string verify_out;
    auto* verify_cmd = app.add_subcommand(
        "verify",
        "judge a run again from what Redis holds (after its harness died, or with "
        "--keep-keys)");
    auto* cleanup_cmd = app.add_subcommand(
        "cleanup", "remove what a run created on Redis (after its harness died)");
    for (auto* command : {verify_cmd, cleanup_cmd}) {
        add_redis_options(command, after_redis, "");
        command->get_option("--redis")->required();
        command->add_option("--run-id", after_run_id, "the run's id")
            ->required()
            ->check(CLI::Validator(check_run_id, "RUN_ID"));
    }
    verify_cmd->add_option("--out", verify_out,
                           "report directory (default reports/out/<run-id>-verify)");

    sh::cli::RedisTargetFlags merge_redis;
    std::vector<std::string> merge_inputs;
    std::string merge_out;
    bool merge_keep_keys = false;
    auto* merge_cmd = app.add_subcommand(
        "merge", "one report of a run its agents shared (run --agent I/N): judged once from Redis");
    merge_cmd
        ->add_option("reports", merge_inputs,
                     "every agent's report directory (or its report.json), each once")
        ->required();
    add_redis_options(merge_cmd, merge_redis, "");
    merge_cmd->get_option("--redis")->required();
    merge_cmd->add_option("--out", merge_out, "report directory (default reports/out/<run-id>)");
    merge_cmd->add_flag("--keep-keys", merge_keep_keys,
                        "leave the run's keys on Redis (by default merge removes them)");

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
    worker_cmd->add_option("--stamp", worker.stamp)->required();
    worker_cmd->add_option("--group", worker.group)->required();
    worker_cmd->add_option("--name", worker.name)->required();
    worker_cmd->add_option("--client-name", worker.client_name);
    worker_cmd->add_option("--slot", worker.slot)->required();
    worker_cmd->add_option("--stats-fd", worker.stats_fd);
    worker_cmd->add_option("--seed", worker.seed);
    worker_cmd->add_option("--group-start-id", worker.group_start_id);
    worker_cmd->add_option("--shard", worker.shards);  // repeated: one per shard it reads
    worker_cmd->add_option("--agents", worker.agents);
    worker_cmd->add_option("--clock-agents", worker.clock_agents);

    if (auto unknown = unknown_subcommand(app, argc, argv)) {
        std::cerr << "streamharness: " << *unknown << "\n";
        return static_cast<int>(sh::ExitCode::usage);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : static_cast<int>(sh::ExitCode::usage);
    }
    std::optional<sh::os::StopSignals> stop;
    try {
        {
            // Both commands that take --set and --tag share these settings' fields.
            const auto& invoked = *capacity_cmd ? capacity : run;
            sh::cli::Tags tags;
            auto problems = sh::cli::parse_tags(invoked.tag_options, tags);
            if (!problems.empty()) throw sh::usage_error(problems);
            sh::cli::record_invocation(argc, argv, invoked.overrides, tags);
        }
        if (*worker_cmd) return sh::run::run_worker(worker);
        if (*show_cmd) return sh::cli::show_command(show_file, show_paths);
        if (*report_cmd) return sh::cli::report_command(report_file);
        if (*compare_cmd) return sh::cli::compare_command(compare);
        if (*verify_cmd) {
            return sh::cli::verify_command(*sh::cli::resolve_redis_target(after_redis),
                                           after_run_id, verify_out);
        }
        if (*cleanup_cmd) {
            return sh::cli::cleanup_command(*sh::cli::resolve_redis_target(after_redis),
                                            after_run_id);
        }
        if (*merge_cmd) {
            return sh::cli::merge_command(*sh::cli::resolve_redis_target(merge_redis), merge_inputs,
                                          merge_out, merge_keep_keys);
        }
        if (*produce_cmd) {
            produce.endpoint = *sh::cli::resolve_redis_target(produce_redis);
            std::cout << sh::cli::produce_only(produce).dump(2) << "\n";
            return 0;
        }
        stop.emplace();  // from here on Ctrl-C stops runs cleanly instead of killing us
        if (*capacity_cmd) {
            capacity.redis = sh::cli::resolve_redis_target(capacity_redis);
            capacity.executable = own_executable();
            using Search = sh::cli::CapacityOptions::Search;
            capacity_options.search = search == "step"        ? Search::step
                                      : search == "consumers" ? Search::consumers
                                                              : Search::bisect;
            capacity_options.resolution = fraction_option(resolution, "--resolution");
            auto metrics = sh::cli::serve_live_metrics(capacity);  // for the whole search
            return sh::cli::capacity_command(capacity, capacity_options, step_duration_s, *stop);
        }
        run.redis = sh::cli::resolve_redis_target(run_redis);
        if (!agent.empty()) {
            std::string error;
            run.agent = *sh::model::parse_agent_share(agent, error);
        }
        run.executable = own_executable();
        auto metrics = sh::cli::serve_live_metrics(run);  // bound before the run starts
        return sh::cli::run_command(run, repeat, *stop);
    } catch (const sh::WorkloadError& error) {
        std::cerr << "streamharness: " << error.what() << "\n";
        return static_cast<int>(sh::ExitCode::usage);
    } catch (const sh::EnvironmentError& error) {
        if (stop && stop->requested()) {
            std::cerr << "streamharness: interrupted; embedded Redis and workers stopped\n";
            return interrupted_exit;
        }
        std::cerr << "streamharness: " << with_credentials_hint(error.what()) << "\n";
        return static_cast<int>(sh::ExitCode::environment);
    } catch (const std::exception& error) {
        std::cerr << "streamharness: internal error: " << error.what() << "\n";
        return static_cast<int>(sh::ExitCode::environment);
    }
}
