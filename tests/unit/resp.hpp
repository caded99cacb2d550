// RESP text and the reply trees hiredis reads out of it, as a connection gets them: the helpers
// the reply-decoding tests share.
#pragma once

#include <hiredis/hiredis.h>

#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "harness/redis/reply.hpp"

namespace sh::testing {

inline std::string bulk(std::string_view text) {
    return "$" + std::to_string(text.size()) + "\r\n" + std::string(text) + "\r\n";
}

inline std::string integer(long long value) {
    return ":" + std::to_string(value) + "\r\n";
}

inline std::string array(std::initializer_list<std::string> items) {
    std::string resp = "*" + std::to_string(items.size()) + "\r\n";
    for (const auto& item : items) resp += item;
    return resp;
}

inline redis::ReplyPtr reply_of(const std::string& resp) {
    std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                    redisReaderFree);
    redisReaderFeed(reader.get(), resp.data(), resp.size());
    void* reply = nullptr;
    if (redisReaderGetReply(reader.get(), &reply) != REDIS_OK || reply == nullptr) {
        throw std::invalid_argument("not one complete RESP reply: " + resp);
    }
    return redis::ReplyPtr(static_cast<redisReply*>(reply));
}

}  // namespace sh::testing
