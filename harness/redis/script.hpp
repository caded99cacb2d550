// A Lua script loaded once per server and run with EVALSHA, reloaded when the server answers
// NOSCRIPT (after a restart or SCRIPT FLUSH).
#pragma once

#include <string>

#include "harness/redis/connection.hpp"

namespace sh::redis {

class Script {
  public:
    Script(std::string name, std::string source)
        : name_(std::move(name)), source_(std::move(source)) {}

    // Runs the script; an error reply raised by the script throws RedisReplyError naming the
    // script.
    ReplyPtr run(Connection& connection, const Args& keys, const Args& argv);

    const std::string& name() const { return name_; }

  private:
    void load(Connection& connection);
    Args evalsha_args(const Args& keys, const Args& argv) const;

    std::string name_;
    std::string source_;
    std::string sha_;
};

}  // namespace sh::redis
