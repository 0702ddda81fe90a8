#include "tests/unit/probes/fixture_util.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace es::probes::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp != nullptr ? tmp : "/tmp") + "/es_probes_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

void write_file(const fs::path& root, std::string_view rel, std::string_view content) {
  const fs::path p = root / rel;
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!f) {
    throw std::runtime_error("cannot write " + p.string());
  }
}

void make_link(const fs::path& root, std::string_view rel, std::string_view target) {
  const fs::path p = root / rel;
  fs::create_directories(p.parent_path());
  fs::create_symlink(fs::path(target), p);
}

std::string read_file(const fs::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) {
    return {};
  }
  std::string s;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    s.append(buf, n);
  }
  std::fclose(f);
  return s;
}

namespace {

bool looks_like_link_file(const fs::path& p, std::string& target) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec || size == 0 || size > 512) {
    return false;
  }
  const std::string s = read_file(p);
  if (s.rfind("../", 0) != 0 || s.find('\n') != std::string::npos) {
    return false;
  }
  target = s;
  return true;
}

} // namespace

void materialize_tree(const fs::path& src, const fs::path& dst) {
  fs::create_directories(dst);
  std::vector<std::pair<fs::path, std::string>> links; // relative path, target
  for (auto it = fs::recursive_directory_iterator(src); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path rel = it->path().lexically_relative(src); // not fs::relative: it follows links
    const fs::path out = dst / rel;
    if (it->is_symlink()) {
      links.emplace_back(rel, fs::read_symlink(it->path()).string());
      it.disable_recursion_pending();
    } else if (it->is_directory()) {
      fs::create_directories(out);
    } else {
      std::string target;
      if (looks_like_link_file(it->path(), target)) {
        links.emplace_back(rel, target);
        continue;
      }
      fs::create_directories(out.parent_path());
      fs::copy_file(it->path(), out, fs::copy_options::overwrite_existing);
      fs::permissions(out, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                               fs::perms::others_read);
    }
  }
  for (auto& [rel, target] : links) {
    const fs::path out = dst / rel;
    fs::create_directories(out.parent_path());
    std::string t = target;
    while (t.size() > 1 && t.back() == '/') {
      t.pop_back(); // hwmon5 -> "../../devices/.../hwmon5/"
    }
    std::error_code ec;
    fs::create_symlink(t, out, ec);
  }
  // Make every directory writable for tests that modify the copy.
  for (const auto& e : fs::recursive_directory_iterator(dst)) {
    if (e.is_directory() && !e.is_symlink()) {
      fs::permissions(e.path(), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
    }
  }
}

fs::path shared_fixtures_dir() {
  if (const char* env = std::getenv("ES_SHARED_FIXTURES"); env != nullptr && *env != '\0') {
    return env;
  }
  return ES_SHARED_FIXTURES_DIR;
}

fs::path shared_fixture(std::string_view name) {
  return shared_fixtures_dir() / name;
}

fs::path board_fixture(std::string_view board) {
  return fs::path(ES_TEST_FIXTURES_DIR) / "probes" / board;
}

} // namespace es::probes::test
