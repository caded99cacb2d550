// Ownership of hiredis replies and the one place a reply tree is read into C++ values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct redisReply;

namespace sh::redis {

struct ReplyDeleter {
    void operator()(redisReply* reply) const;
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// A non-owning view of one node of a reply tree; element() views children of the same tree.
class ReplyView {
  public:
    explicit ReplyView(const redisReply* reply) : reply_(reply) {}

    bool is_nil() const;
    bool is_error() const;
    bool is_array() const;
    bool is_integer() const;
    bool is_string() const;    // bulk or status
    std::size_t size() const;  // array length, 0 otherwise
    ReplyView element(std::size_t index) const;
    std::int64_t integer() const;       // throws std::runtime_error when not an integer
    std::string_view text() const;      // bulk, status or error text; throws otherwise
    std::int64_t integer_text() const;  // an integer, or a bulk string holding one
    std::string describe_type() const;

  private:
    const redisReply* reply_;
};

}  // namespace sh::redis
