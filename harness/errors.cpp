#include "harness/errors.hpp"

namespace sh {

namespace {
std::string join_problems(const std::vector<std::string>& problems, const std::string& heading) {
    std::string text = heading + ":";
    for (const auto& problem : problems) text += "\n  " + problem;
    return text;
}

std::string describe(const std::string& command, const std::string& key,
                     const std::string& message) {
    std::string text = command;
    if (!key.empty()) text += " on " + key;
    return text + ": " + message;
}
}  // namespace

WorkloadError::WorkloadError(std::vector<std::string> problems, const std::string& heading)
    : std::runtime_error(join_problems(problems, heading)), problems_(std::move(problems)) {}

WorkloadError input_error(std::vector<std::string> problems) {
    return WorkloadError(std::move(problems), "invalid input");
}

WorkloadError usage_error(std::vector<std::string> problems) {
    return WorkloadError(std::move(problems), "invalid command line");
}

RedisError::RedisError(std::string command, std::string key, std::string message)
    : EnvironmentError(describe(command, key, message)),
      command_(std::move(command)),
      key_(std::move(key)),
      message_(std::move(message)) {}

}  // namespace sh
