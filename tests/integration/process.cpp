#include "tests/integration/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace es::test {

Child::Child(const std::vector<std::string>& argv, const std::filesystem::path& out_dir,
             const std::string& name, const std::map<std::string, std::string>& env)
    : m_out(out_dir / (name + ".out")), m_err(out_dir / (name + ".err")) {
  // Build everything before fork: only async-signal-safe calls in the child.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto key = entry.substr(0, entry.find('='));
    if (env.count(key) == 0) {
      env_strings.push_back(entry);
    }
  }
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (auto& e : env_strings) {
    cenv.push_back(e.data());
  }
  cenv.push_back(nullptr);
  const int out_fd = ::open(m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = ::open(m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    throw std::runtime_error("cannot create output files in " + out_dir.string());
  }
  m_pid = ::fork();
  if (m_pid == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    // Unblock everything: the test runner may have signals blocked.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (m_pid < 0) {
    throw std::runtime_error("fork failed");
  }
}

Child::~Child() {
  if (!m_reaped && m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
}

void Child::signal(int sig) const { ::kill(m_pid, sig); }

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) {
      m_reaped = true;
      if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
      }
      return 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string Child::out() const { return read_file(m_out); }
std::string Child::err() const { return read_file(m_err); }

RunResult run(const std::vector<std::string>& argv, const std::filesystem::path& out_dir,
              std::chrono::milliseconds timeout, const std::map<std::string, std::string>& env) {
  static int counter = 0;
  Child child(argv, out_dir, "run" + std::to_string(counter++), env);
  RunResult result;
  const auto code = child.wait(timeout);
  result.exit_code = code.value_or(-1);
  result.out = child.out();
  result.err = child.err();
  return result;
}

TempDir::TempDir(const std::string& tag) {
  std::random_device rd;
  const auto base = std::filesystem::path(ES_BINARY_DIR) / "Testing" / "tmp";
  std::filesystem::create_directories(base);
  m_path = base / (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(m_path);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (std::getenv("ES_KEEP_TEST_FILES") == nullptr) {
    std::filesystem::remove_all(m_path, ec);
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

} // namespace es::test
