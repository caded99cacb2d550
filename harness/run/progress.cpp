#include "harness/run/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <sstream>

namespace sh::run {

namespace {

constexpr std::int64_t refresh_interval_ns = 250'000'000;
constexpr std::int64_t periodic_interval_ns = 5'000'000'000;

std::string rounded(std::optional<double> value) {
    if (!value) return "-";
    return std::to_string(std::llround(*value));
}

std::optional<double> as_double(const std::optional<std::int64_t>& value) {
    return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
}

}  // namespace

std::string format_progress(const ProgressState& state) {
    std::ostringstream line;
    line.setf(std::ios::fixed);
    line.precision(1);
    line << "[" << state.elapsed_s << "s";
    if (state.total_s > 0) line << "/" << std::llround(state.total_s) << "s";
    line << (state.producing ? " load" : " drain") << "]";
    if (const auto& row = state.latest_row) {
        auto per_s = [&](std::uint64_t count) { return static_cast<double>(count) / row->span_s; };
        line << " produced " << rounded(per_s(row->produced)) << "/s";
        for (std::size_t g = 0; g < row->groups.size() && g < state.group_names.size(); ++g) {
            const auto& group = row->groups[g];
            line << " | " << state.group_names[g] << " " << rounded(per_s(group.applied))
                 << "/s lag " << rounded(as_double(group.lag)) << " pending "
                 << rounded(as_double(group.pending));
        }
    } else {
        line << " starting";
    }
    line << " | faults " << state.faults;
    return line.str();
}

ProgressMode ProgressDisplay::mode_for(bool quiet, int fd) {
    if (quiet) return ProgressMode::off;
    return isatty(fd) ? ProgressMode::refreshed_line : ProgressMode::periodic_lines;
}

ProgressDisplay::ProgressDisplay(ProgressMode mode, std::ostream& out) : mode_(mode), out_(out) {}

ProgressDisplay::~ProgressDisplay() {
    if (line_open_) out_ << "\n" << std::flush;
}

void ProgressDisplay::update(std::int64_t now_ns, const ProgressState& state) {
    if (mode_ == ProgressMode::off) return;
    if (next_ns_ == 0) {
        // The first periodic line waits a full interval: short runs stay quiet.
        next_ns_ = now_ns + (mode_ == ProgressMode::periodic_lines ? periodic_interval_ns : 0);
    }
    if (now_ns < next_ns_) return;
    if (mode_ == ProgressMode::refreshed_line) {
        next_ns_ = now_ns + refresh_interval_ns;
        out_ << "\r\033[K" << format_progress(state) << std::flush;  // \033[K clears the rest
        line_open_ = true;
    } else {
        next_ns_ = now_ns + periodic_interval_ns;
        out_ << format_progress(state) << "\n" << std::flush;
    }
}

}  // namespace sh::run
