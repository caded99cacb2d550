#include "harness/run/live_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <exception>

#include "harness/run/prometheus_text.hpp"

namespace sh::run {

namespace {

// What a counter read at `before` and then at `now` added: a reading below the last one is a
// counter that started again from zero.
template <typename Number>
Number grown(Number before, Number now) {
    return now >= before ? now - before : now;
}

constexpr double us_per_s = 1e6;

void render_latency(ExpositionText& out, const LiveGroupReading& group) {
    if (group.run_latency.count == 0) return;  // an external consumer: no latency is measured
    auto nan = std::nan("");
    auto second = [&](const char* quantile, const std::optional<double>& value) {
        out.sample("streamharness_end_to_end_latency_seconds",
                   {{"group", group.name}, {"window", "second"}, {"quantile", quantile}},
                   value.value_or(nan));
    };
    second("0.5", group.second_p50_s);
    second("0.99", group.second_p99_s);
    const auto& run = group.run_latency;
    std::pair<const char*, std::uint64_t> quantiles[] = {{"0.5", run.p50_us},
                                                         {"0.9", run.p90_us},
                                                         {"0.99", run.p99_us},
                                                         {"0.999", run.p99_9_us},
                                                         {"1", run.max_us}};
    for (const auto& [quantile, us] : quantiles) {
        out.sample("streamharness_end_to_end_latency_seconds",
                   {{"group", group.name}, {"window", "run"}, {"quantile", quantile}},
                   static_cast<double>(us) / us_per_s);
    }
}

}  // namespace

void LiveMetrics::begin_run(const std::string& run_id) {
    std::lock_guard lock(mutex_);
    run_id_ = run_id;
    phase_ = "set-up";
    elapsed_s_.reset();
    for (auto& group : groups_) group.current = false;
}

void LiveMetrics::set_phase(const std::string& phase) {
    std::lock_guard lock(mutex_);
    phase_ = phase;
}

void LiveMetrics::record(const LiveReading& reading) {
    std::lock_guard lock(mutex_);
    phase_ = reading.phase;
    elapsed_s_ = reading.elapsed_s;
    produced_ += static_cast<double>(reading.produced_added);
    failed_ += static_cast<double>(reading.failed_added);
    indeterminate_ += static_cast<double>(reading.indeterminate_added);
    redis_cpu_s_ += reading.redis_cpu_s_added;
    for (const auto& [kind, added] : reading.faults_added) {
        faults_[kind] += static_cast<double>(added);
    }
    for (const auto& reading_group : reading.groups) {
        auto group = std::find_if(groups_.begin(), groups_.end(), [&](const Group& known) {
            return known.latest.name == reading_group.name;
        });
        if (group == groups_.end()) group = groups_.insert(groups_.end(), Group{});
        group->applied += static_cast<double>(reading_group.applied_added);
        group->latest = reading_group;
        group->current = true;
    }
    stream_length_ = reading.stream_length;
    redis_memory_bytes_ = reading.redis_memory_bytes;
}

std::string LiveMetrics::render() const {
    std::lock_guard lock(mutex_);
    ExpositionText out;
    out.family("streamharness_run_info", "gauge",
               "The run going on (a capacity search's step is a run) and its phase: set-up, "
               "load, drain, finished or error");
    out.sample("streamharness_run_info", {{"run_id", run_id_}, {"phase", phase_}}, 1);
    out.family("streamharness_run_elapsed_seconds", "gauge",
               "Seconds since the current run's load started, at its last sample");
    if (elapsed_s_) out.sample("streamharness_run_elapsed_seconds", {}, *elapsed_s_);
    out.family("streamharness_produced_orders_total", "counter",
               "Orders Redis acknowledged (XADD returned an ID), over every run of the command");
    out.sample("streamharness_produced_orders_total", {}, produced_);
    out.family("streamharness_produce_failed_orders_total", "counter",
               "Orders whose XADD Redis refused");
    out.sample("streamharness_produce_failed_orders_total", {}, failed_);
    out.family("streamharness_produce_indeterminate_orders_total", "counter",
               "Orders whose XADD reply was lost (the connection broke): maybe in the stream");
    out.sample("streamharness_produce_indeterminate_orders_total", {}, indeterminate_);
    out.family("streamharness_applied_orders_total", "counter",
               "Orders a group's consumers applied, counted once per delivery");
    for (const auto& group : groups_) {
        out.sample("streamharness_applied_orders_total", {{"group", group.latest.name}},
                   group.applied);
    }
    // Of the groups of the current run only: a gauge of an earlier run is no reading.
    auto group_gauge = [&](const char* name, const char* help,
                           std::optional<std::int64_t> LiveGroupReading::*field) {
        out.family(name, "gauge", help);
        for (const auto& group : groups_) {
            const auto& value = group.latest.*field;
            if (group.current && value) {
                out.sample(name, {{"group", group.latest.name}}, static_cast<double>(*value));
            }
        }
    };
    group_gauge("streamharness_group_lag_entries",
                "Entries of the stream not yet delivered to the group (XINFO GROUPS lag)",
                &LiveGroupReading::lag);
    group_gauge("streamharness_group_pending_entries",
                "Entries delivered to the group and not yet acknowledged (XINFO GROUPS pending)",
                &LiveGroupReading::pending);
    out.family("streamharness_end_to_end_latency_seconds", "gauge",
               "End-to-end latency (XADD to applied) quantiles: window=second is the last sample "
               "second (NaN when nothing completed in it), window=run the current run so far");
    for (const auto& group : groups_) {
        if (group.current) render_latency(out, group.latest);
    }
    out.family("streamharness_faults_injected_total", "counter",
               "Faults the chaos schedule carried out, by kind (skipped ones not counted)");
    for (const auto& [kind, count] : faults_) {
        out.sample("streamharness_faults_injected_total", {{"kind", kind}}, count);
    }
    out.family("streamharness_redis_cpu_seconds_total", "counter",
               "CPU seconds Redis used (user + system, summed over a cluster's primaries)");
    out.sample("streamharness_redis_cpu_seconds_total", {}, redis_cpu_s_);
    out.family("streamharness_stream_length_entries", "gauge",
               "Entries in the run's stream (XLEN, summed over its shards)");
    if (elapsed_s_) {
        out.sample("streamharness_stream_length_entries", {}, static_cast<double>(stream_length_));
    }
    out.family("streamharness_redis_memory_bytes", "gauge",
               "Redis used_memory (summed over a cluster's primaries)");
    if (elapsed_s_) {
        out.sample("streamharness_redis_memory_bytes", {},
                   static_cast<double>(redis_memory_bytes_));
    }
    return out.text();
}

void LiveFeed::record(const TimelineRow& row, const SampleTotals& last, const SampleTotals& now,
                      const std::vector<std::unique_ptr<measure::Histogram>>& run_latency,
                      const produce::ProducerTotals& producers, const RunResult& result) {
    if (sink_ == nullptr) return;
    LiveReading reading;
    reading.phase = result.phase;
    reading.elapsed_s = row.t_s;
    reading.produced_added = grown(last.produced, now.produced);
    auto failed = producers.failed.load();
    auto indeterminate = producers.indeterminate.load();
    reading.failed_added = grown(failed_seen_, failed);
    reading.indeterminate_added = grown(indeterminate_seen_, indeterminate);
    failed_seen_ = failed;
    indeterminate_seen_ = indeterminate;
    reading.redis_cpu_s_added = grown(last.redis_cpu_s, now.redis_cpu_s);
    std::map<std::string, std::uint64_t> faults;
    for (const auto& event : result.events) {
        if (is_fault(event)) ++faults[event.kind];
    }
    for (const auto& [kind, count] : faults) {
        reading.faults_added[kind] = grown(faults_seen_[kind], count);
        faults_seen_[kind] = count;
    }
    for (std::size_t g = 0; g < group_names_.size() && g < row.groups.size(); ++g) {
        LiveGroupReading group;
        group.name = group_names_[g];
        group.applied_added =
            grown(g < last.applied.size() ? last.applied[g] : 0, now.applied.at(g));
        group.lag = row.groups[g].lag;
        group.pending = row.groups[g].pending;
        if (group.applied_added > 0) {
            group.second_p50_s = row.groups[g].p50_ms / 1000.0;
            group.second_p99_s = row.groups[g].p99_ms / 1000.0;
        }
        group.run_latency = run_latency.at(g)->summary();
        reading.groups.push_back(std::move(group));
    }
    reading.stream_length = row.stream_length;
    reading.redis_memory_bytes = row.redis_memory_bytes;
    sink_->record(reading);
}

LiveRunScope::LiveRunScope(LiveMetrics* live, const std::string& run_id)
    : live_(live), exceptions_(std::uncaught_exceptions()) {
    if (live_ != nullptr) live_->begin_run(run_id);
}

LiveRunScope::~LiveRunScope() {
    if (live_ == nullptr) return;
    live_->set_phase(std::uncaught_exceptions() > exceptions_ ? "error" : "finished");
}

}  // namespace sh::run
