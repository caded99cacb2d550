// Live progress of a run on stderr: one line refreshed in place on a terminal, plain periodic
// lines otherwise (CI logs keep every line, so they come every few seconds, not every 250 ms).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/run/timeline.hpp"

namespace sh::run {

enum class ProgressMode { off, refreshed_line, periodic_lines };

// What is on screen: the latest timeline row (rates, lag and pending per group) plus the
// run's clock and faults so far.
struct ProgressState {
    double elapsed_s = 0;
    double total_s = 0;  // the load phase's planned length; 0 when it ends by order count
    bool producing = true;
    std::size_t faults = 0;
    std::optional<TimelineRow> latest_row;  // none before the first second is sampled
    std::vector<std::string> group_names;   // the row's groups, in order
};

// "[12.3s/20s load] produced 3001/s | score 2998/s lag 0 pending 12 | ... | faults 4"
std::string format_progress(const ProgressState& state);

class ProgressDisplay {
  public:
    // quiet → off; a terminal on stderr → refreshed line; anything else → periodic lines.
    static ProgressMode mode_for(bool quiet, int fd);

    ProgressDisplay(ProgressMode mode, std::ostream& out);
    ~ProgressDisplay();  // ends a refreshed line so later output starts on a fresh one
    ProgressDisplay(const ProgressDisplay&) = delete;
    ProgressDisplay& operator=(const ProgressDisplay&) = delete;

    // Called on every supervisor poll; draws only when its interval has passed.
    void update(std::int64_t now_ns, const ProgressState& state);

  private:
    ProgressMode mode_;
    std::ostream& out_;
    std::int64_t next_ns_ = 0;
    bool line_open_ = false;
};

}  // namespace sh::run
