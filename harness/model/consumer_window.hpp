// Where a consumer is within its batch. The built-in consumer publishes it in shared memory;
// a fault can aim at one window (a kill between applying an effect and acknowledging it is
// what turns at-least-once into a duplicate) and the report says where each fault landed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sh::model {

enum class ConsumerWindow : std::int64_t {
    idle = 0,             // between batches: holds nothing it has read
    reading = 1,          // waiting in XREADGROUP (or XCLAIM) for entries
    processing = 2,       // entries read; no effect applied and none acknowledged yet
    applied_unacked = 3,  // some effects applied, the batch not yet acknowledged (ack: after)
    acked_unapplied = 4,  // the batch acknowledged, some effects not yet applied (ack: before)
};

constexpr std::string_view to_string(ConsumerWindow window) {
    switch (window) {
        case ConsumerWindow::idle:
            return "idle";
        case ConsumerWindow::reading:
            return "reading";
        case ConsumerWindow::processing:
            return "processing";
        case ConsumerWindow::applied_unacked:
            return "applied-unacked";
        case ConsumerWindow::acked_unapplied:
            return "acked-unapplied";
    }
    return "?";
}

constexpr ConsumerWindow all_windows[] = {
    ConsumerWindow::idle, ConsumerWindow::reading, ConsumerWindow::processing,
    ConsumerWindow::applied_unacked, ConsumerWindow::acked_unapplied};

constexpr std::optional<ConsumerWindow> window_from_int(std::int64_t value) {
    for (auto window : all_windows) {
        if (static_cast<std::int64_t>(window) == value) return window;
    }
    return std::nullopt;
}

}  // namespace sh::model
