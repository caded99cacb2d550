#include "harness/redis/reply.hpp"

#include <hiredis/hiredis.h>

#include <charconv>
#include <stdexcept>

namespace sh::redis {

void ReplyDeleter::operator()(redisReply* reply) const {
    freeReplyObject(reply);
}

bool ReplyView::is_nil() const {
    return reply_->type == REDIS_REPLY_NIL;
}
bool ReplyView::is_error() const {
    return reply_->type == REDIS_REPLY_ERROR;
}
bool ReplyView::is_array() const {
    return reply_->type == REDIS_REPLY_ARRAY;
}
bool ReplyView::is_integer() const {
    return reply_->type == REDIS_REPLY_INTEGER;
}
bool ReplyView::is_string() const {
    return reply_->type == REDIS_REPLY_STRING || reply_->type == REDIS_REPLY_STATUS;
}

std::size_t ReplyView::size() const {
    return is_array() ? reply_->elements : 0;
}

ReplyView ReplyView::element(std::size_t index) const {
    if (index >= size()) {
        throw std::runtime_error("reply element " + std::to_string(index) + " out of range in " +
                                 describe_type());
    }
    return ReplyView(reply_->element[index]);
}

std::int64_t ReplyView::integer() const {
    if (!is_integer())
        throw std::runtime_error("expected an integer reply, got " + describe_type());
    return reply_->integer;
}

std::string_view ReplyView::text() const {
    if (!is_string() && !is_error()) {
        throw std::runtime_error("expected a string reply, got " + describe_type());
    }
    return {reply_->str, reply_->len};
}

std::int64_t ReplyView::integer_text() const {
    if (is_integer()) return reply_->integer;
    auto body = text();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (ec != std::errc{} || end != body.data() + body.size()) {
        throw std::runtime_error("expected an integer, got '" + std::string(body) + "'");
    }
    return value;
}

std::string ReplyView::describe_type() const {
    switch (reply_->type) {
        case REDIS_REPLY_STRING:
            return "bulk string";
        case REDIS_REPLY_ARRAY:
            return "array of " + std::to_string(reply_->elements);
        case REDIS_REPLY_INTEGER:
            return "integer";
        case REDIS_REPLY_NIL:
            return "nil";
        case REDIS_REPLY_STATUS:
            return "status";
        case REDIS_REPLY_ERROR:
            return "error";
        default:
            return "reply type " + std::to_string(reply_->type);
    }
}

}  // namespace sh::redis
