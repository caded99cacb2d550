#include "harness/os/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "harness/errors.hpp"

namespace sh::os {

TempDir::TempDir(const std::string& prefix) {
    auto pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
        throw EnvironmentError("cannot create a temporary directory " + pattern + ": " +
                               strerror(errno));
    }
    path_ = buffer.data();
}

TempDir::~TempDir() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace sh::os
