// The error kinds of streamharness and the one place they map to exit codes.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace sh {

enum class ExitCode : int { pass = 0, gate_failed = 1, usage = 2, environment = 3 };

// A workload file or command line the harness cannot run: each problem is "json.path: reason".
class WorkloadError : public std::runtime_error {
  public:
    explicit WorkloadError(std::vector<std::string> problems,
                           const std::string& heading = "invalid workload");
    const std::vector<std::string>& problems() const { return problems_; }

  private:
    std::vector<std::string> problems_;
};

// The same exit code for input that is not a workload: a report to compare, a tolerance flag.
WorkloadError input_error(std::vector<std::string> problems);
// ... and for a command line the harness cannot act on: a bad --redis URL, an unwritable --out.
WorkloadError usage_error(std::vector<std::string> problems);

// The environment is not what the run needs: Redis unreachable, wrong key type, server missing.
class EnvironmentError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Anything Redis said or failed to say. Carries the command and key so a log line is actionable.
class RedisError : public EnvironmentError {
  public:
    RedisError(std::string command, std::string key, std::string message);
    const std::string& command() const { return command_; }
    const std::string& key() const { return key_; }
    const std::string& redis_message() const { return message_; }

  private:
    std::string command_;
    std::string key_;
    std::string message_;
};

// The connection broke or timed out: the request may or may not have been executed.
class RedisIoError : public RedisError {
  public:
    using RedisError::RedisError;
};

// Redis answered with an error reply (WRONGTYPE, NOGROUP, ...).
class RedisReplyError : public RedisError {
  public:
    using RedisError::RedisError;
};

}  // namespace sh
