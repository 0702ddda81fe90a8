#pragma once
// Test helper: run a real program as a child process with its output captured in files, send it
// signals, wait for it with a deadline. Used by the end-to-end tests of edgesoak/edgesoakd.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace es::test {

class Child {
public:
  /// Starts `argv[0]` with `argv`; stdout/stderr go to `out_dir`/<name>.out/.err.
  /// `env` entries are added to (or replace in) the current environment.
  Child(const std::vector<std::string>& argv, const std::filesystem::path& out_dir,
        const std::string& name, const std::map<std::string, std::string>& env = {});
  ~Child(); ///< kills (SIGKILL) and reaps the child if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  [[nodiscard]] pid_t pid() const { return m_pid; }
  void signal(int sig) const;
  /// Waits up to `timeout`; returns the exit code (or 128+signal), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  [[nodiscard]] std::string out() const;
  [[nodiscard]] std::string err() const;

private:
  pid_t m_pid = -1;
  bool m_reaped = false;
  std::filesystem::path m_out;
  std::filesystem::path m_err;
};

/// Runs to completion (deadline `timeout`, then SIGKILL) and returns {exit code, stdout, stderr}.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult run(const std::vector<std::string>& argv, const std::filesystem::path& out_dir,
              std::chrono::milliseconds timeout = std::chrono::seconds(120),
              const std::map<std::string, std::string>& env = {});

/// A fresh empty directory under the build tree's Testing/tmp, removed on destruction.
class TempDir {
public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

} // namespace es::test
