// Commands encoded straight into RESP, many to one buffer: the producer's hot path appends a
// whole pipeline of XADDs with one call instead of building a vector of strings per command.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace sh::redis {

class CommandBuffer {
  public:
    void clear() {
        data_.clear();
        commands_ = 0;
    }
    // Starts a command of `args` arguments; follow with exactly that many arg() calls.
    void begin(std::size_t args) {
        header('*', args);
        ++commands_;
    }
    void arg(std::string_view value) {
        header('$', value.size());
        data_.append(value);
        data_.append("\r\n", 2);
    }
    void arg(std::int64_t value) { number(value); }
    void arg(std::uint64_t value) { number(value); }
    // `bytes` filler characters, without building a string for them.
    void filler(std::size_t bytes, char fill) {
        header('$', bytes);
        data_.append(bytes, fill);
        data_.append("\r\n", 2);
    }

    // Appends commands another buffer holds.
    void append(const CommandBuffer& other) {
        data_.append(other.data_);
        commands_ += other.commands_;
    }

    // Appends one command encoded elsewhere (a slice of another buffer's data()).
    void append_encoded(std::string_view command) {
        data_.append(command);
        ++commands_;
    }

    std::string_view data() const { return data_; }
    bool empty() const { return data_.empty(); }
    std::size_t commands() const { return commands_; }

  private:
    template <typename Integer>
    void number(Integer value) {
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
        arg(std::string_view(digits, static_cast<std::size_t>(end - digits)));
    }
    void header(char kind, std::size_t count) {
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof(digits), count).ptr;
        data_.push_back(kind);
        data_.append(digits, static_cast<std::size_t>(end - digits));
        data_.append("\r\n", 2);
    }

    std::string data_;
    std::size_t commands_ = 0;
};

}  // namespace sh::redis
