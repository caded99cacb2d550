#include "harness/redis/script.hpp"

#include "harness/errors.hpp"

namespace sh::redis {

void Script::load(Connection& connection) {
    auto reply = connection.command({"SCRIPT", "LOAD", source_});
    sha_ = std::string(ReplyView(reply.get()).text());
}

Args Script::evalsha_args(const Args& keys, const Args& argv) const {
    Args args;
    args.reserve(3 + keys.size() + argv.size());
    args.push_back("EVALSHA");
    args.push_back(sha_);
    args.push_back(std::to_string(keys.size()));
    args.insert(args.end(), keys.begin(), keys.end());
    args.insert(args.end(), argv.begin(), argv.end());
    return args;
}

ReplyPtr Script::run(Connection& connection, const Args& keys, const Args& argv) {
    if (sha_.empty()) load(connection);
    auto args = evalsha_args(keys, argv);
    auto reply = connection.command_allow_error(args);
    ReplyView view(reply.get());
    if (view.is_error() && view.text().rfind("NOSCRIPT", 0) == 0) {
        load(connection);
        args[1] = sha_;
        reply = connection.command_allow_error(args);
    }
    if (ReplyView(reply.get()).is_error()) {
        throw RedisReplyError("EVALSHA " + name_, keys.empty() ? "" : keys.front(),
                              std::string(ReplyView(reply.get()).text()));
    }
    return reply;
}

}  // namespace sh::redis
