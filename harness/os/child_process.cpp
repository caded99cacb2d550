#include "harness/os/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>
#include <utility>

#include "harness/errors.hpp"

extern char** environ;

namespace sh::os {

namespace {

// True when extra_env sets the variable of "NAME=value" entry.
bool overridden(std::string_view entry, const std::vector<std::string>& extra_env) {
    auto name = entry.substr(0, entry.find('=') + 1);
    for (const auto& extra : extra_env) {
        if (std::string_view(extra).substr(0, name.size()) == name) return true;
    }
    return false;
}

// Everything exec needs, built before fork: between fork and exec only async-signal-safe calls.
struct ExecImage {
    std::vector<std::string> storage;
    std::vector<char*> argv;
    std::vector<char*> envp;

    ExecImage(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
        storage = args;
        std::size_t env_begin = storage.size();
        storage.insert(storage.end(), extra_env.begin(), extra_env.end());
        for (char** entry = environ; *entry != nullptr; ++entry) {
            if (!overridden(*entry, extra_env)) storage.emplace_back(*entry);
        }
        for (std::size_t i = 0; i < env_begin; ++i) argv.push_back(storage[i].data());
        argv.push_back(nullptr);
        for (std::size_t i = env_begin; i < storage.size(); ++i) envp.push_back(storage[i].data());
        envp.push_back(nullptr);
    }
};

[[noreturn]] void exec_child(const ExecImage& image, const SpawnOptions& options, pid_t parent,
                             const char* program) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!options.output_path.empty()) {
        int out = open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out >= 0) {
            dup2(out, STDOUT_FILENO);
            dup2(out, STDERR_FILENO);
            if (out > 2) close(out);
        }
    }
    int first_closed = 3;
    if (options.pass_fd >= 0) {
        if (options.pass_fd != 3) dup2(options.pass_fd, 3);
        first_closed = 4;
    }
    syscall(SYS_close_range, first_closed, ~0U, 0);
    execve(program, image.argv.data(), image.envp.data());
    _exit(127);
}

}  // namespace

std::string find_on_path(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return access(name.c_str(), X_OK) == 0 ? name : std::string{};
    }
    const char* path = getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return {};
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const SpawnOptions& options) {
    auto program = find_on_path(argv.at(0));
    if (program.empty()) throw EnvironmentError("cannot find '" + argv[0] + "' on PATH");
    ExecImage image(argv, options.env);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) throw EnvironmentError(std::string("fork failed: ") + strerror(errno));
    if (pid == 0) exec_child(image, options, parent, program.c_str());
    return ChildProcess(pid);
}

ChildProcess::~ChildProcess() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        wait();
    }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (running()) {
            ::kill(pid_, SIGKILL);
            wait();
        }
        pid_ = std::exchange(other.pid_, -1);
        status_ = other.status_;
    }
    return *this;
}

void ChildProcess::signal(int signo) const {
    if (running()) ::kill(pid_, signo);
}

std::optional<int> ChildProcess::poll() {
    if (status_ || pid_ <= 0) return status_;
    int status = 0;
    pid_t result = waitpid(pid_, &status, WNOHANG);
    if (result == pid_) status_ = status;
    return status_;
}

int ChildProcess::wait() {
    while (!status_ && pid_ > 0) {
        int status = 0;
        pid_t result = waitpid(pid_, &status, 0);
        if (result == pid_) status_ = status;
        if (result < 0 && errno != EINTR) status_ = 0;
    }
    return status_.value_or(0);
}

bool ChildProcess::stopped() const {
    if (!running()) return false;
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(stat, line);
    // "pid (comm) S ...": the state follows the last ')' (comm may hold parentheses).
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'T';
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
    if (!running()) return status_.value_or(0);
    signal(SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (poll()) return *status_;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    signal(SIGKILL);
    return wait();
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    }
    return "wait status " + std::to_string(status);
}

}  // namespace sh::os
