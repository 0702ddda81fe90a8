// detect_board(): board identity from device tree, DMI and cpuinfo (declared in probe_set.hpp).
#include "probes/probe_set.hpp"

#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace es::probes {

namespace {

// Value of the first "key : value" line of cpuinfo-style text.
std::string cpuinfo_field(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    if (trim(line.substr(0, colon)) == key) {
      return std::string(trim(line.substr(colon + 1)));
    }
  }
  return {};
}

// Values of every "key : value" line, in order (one per processor block).
std::vector<std::string> cpuinfo_fields(std::string_view text, std::string_view key) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && trim(line.substr(0, colon)) == key) {
      out.emplace_back(trim(line.substr(colon + 1)));
    }
  }
  return out;
}

int count_lines_with(std::string_view text, std::string_view key) {
  int n = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && trim(line.substr(0, colon)) == key) {
      ++n;
    }
  }
  return n;
}

// Device-tree strings are NUL-terminated (and "compatible" is a NUL-separated list).
std::vector<std::string> nul_list(std::string_view raw) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t end = raw.find('\0', pos);
    if (end == std::string_view::npos) {
      end = raw.size();
    }
    const std::string_view item = trim(raw.substr(pos, end - pos));
    if (!item.empty()) {
      out.emplace_back(item);
    }
    pos = end + 1;
  }
  return out;
}

std::string read_raw(const SysfsReader& r, std::string_view rel) {
  // read_text trims trailing NULs; for NUL-separated lists we need the middle ones, which trim
  // keeps.
  return r.read_text(rel).value_or("");
}

} // namespace

std::string arm_cpu_part_name(std::string_view implementer, std::string_view part) {
  static const std::map<std::string, std::string> arm{
      {"0xd03", "Cortex-A53"},  {"0xd04", "Cortex-A35"},  {"0xd05", "Cortex-A55"},
      {"0xd07", "Cortex-A57"},  {"0xd08", "Cortex-A72"},  {"0xd09", "Cortex-A73"},
      {"0xd0a", "Cortex-A75"},  {"0xd0b", "Cortex-A76"},  {"0xd0c", "Neoverse-N1"},
      {"0xd0d", "Cortex-A77"},  {"0xd41", "Cortex-A78"},  {"0xd42", "Cortex-A78AE"},
      {"0xd44", "Cortex-X1"},   {"0xd46", "Cortex-A510"}, {"0xd47", "Cortex-A710"},
      {"0xd4b", "Cortex-A78C"}, {"0xb76", "ARM1176"},     {"0xc07", "Cortex-A7"},
  };
  static const std::map<std::string, std::string> nvidia{{"0x004", "Carmel"}};
  const std::string imp(trim(implementer));
  const std::string p(trim(part));
  if (imp == "0x41") {
    const auto it = arm.find(p);
    return it == arm.end() ? "" : it->second;
  }
  if (imp == "0x4e") {
    const auto it = nvidia.find(p);
    return it == nvidia.end() ? "" : it->second;
  }
  return {};
}

BoardInfo detect_board(const Roots& roots) {
  const SysfsReader sysfs(roots.sysfs);
  const SysfsReader procfs(roots.procfs);
  BoardInfo b;

  // Model: device tree first (ARM boards), then DMI (x86).
  for (const char* rel : {"firmware/devicetree/base/model"}) {
    const auto items = nul_list(read_raw(sysfs, rel));
    if (!items.empty()) {
      b.model = items.front();
    }
  }
  if (b.model.empty()) {
    const auto items = nul_list(read_raw(procfs, "device-tree/model"));
    if (!items.empty()) {
      b.model = items.front();
    }
  }
  if (b.model.empty()) {
    // Cheap boards ship DMI placeholders; drop them rather than print "Default string".
    auto dmi = [&](const char* rel) {
      std::string v = sysfs.read_text(rel).value_or("");
      for (const char* junk : {"Default string", "To be filled by O.E.M.", "System Product Name",
                               "System manufacturer", "Not Applicable"}) {
        if (v == junk) {
          return std::string();
        }
      }
      return v;
    };
    const std::string vendor = dmi("class/dmi/id/sys_vendor");
    const std::string product = dmi("class/dmi/id/product_name");
    if (!product.empty()) {
      b.model = vendor.empty() ? product : vendor + " " + product;
    } else {
      b.model = dmi("class/dmi/id/board_name");
    }
  }

  // SoC: the last device-tree "compatible" entry is the SoC ("brcm,bcm2712").
  auto compat = nul_list(read_raw(sysfs, "firmware/devicetree/base/compatible"));
  if (!compat.empty()) {
    b.soc = compat.back();
  }

  b.kernel = procfs.read_text("sys/kernel/osrelease").value_or("");

  const std::string cpuinfo = procfs.read_text("cpuinfo").value_or("");
  if (!cpuinfo.empty()) {
    const int n = count_lines_with(cpuinfo, "processor");
    std::string name = cpuinfo_field(cpuinfo, "model name");
    if (name.empty() || name.rfind("ARMv", 0) == 0) {
      const std::string part_name = arm_cpu_part_name(cpuinfo_field(cpuinfo, "CPU implementer"),
                                                      cpuinfo_field(cpuinfo, "CPU part"));
      if (!part_name.empty()) {
        name = part_name;
      }
    }
    // big.LITTLE (ODROID-N2 S922X: 2x A53 + 4x A73): one "<core> xN" per distinct part.
    std::vector<std::pair<std::string, int>> clusters;
    if (cpuinfo_field(cpuinfo, "model name").empty()) {
      const std::string imp = cpuinfo_field(cpuinfo, "CPU implementer");
      for (const auto& part : cpuinfo_fields(cpuinfo, "CPU part")) {
        const std::string pn = arm_cpu_part_name(imp, part);
        if (pn.empty()) {
          clusters.clear();
          break;
        }
        if (clusters.empty() || clusters.back().first != pn) {
          clusters.emplace_back(pn, 0);
        }
        ++clusters.back().second;
      }
    }
    if (clusters.size() > 1) {
      name.clear();
      for (const auto& [pn, count] : clusters) {
        name += (name.empty() ? "" : " + ") + pn + " x" + std::to_string(count);
      }
    } else if (!name.empty() && n > 0) {
      name += " x" + std::to_string(n);
    }
    b.cpu = name;
    b.cpu_features = cpuinfo_field(cpuinfo, "Features");
    if (b.cpu_features.empty()) {
      b.cpu_features = cpuinfo_field(cpuinfo, "flags");
    }
    if (b.soc.empty()) {
      b.soc = cpuinfo_field(cpuinfo, "Hardware");
    }
    if (b.model.empty()) {
      b.model = cpuinfo_field(cpuinfo, "Model"); // RPi kernels print the board here
    }
  }
  if (b.model.empty()) {
    b.model = "unknown";
  }
  if (b.cpu.empty()) {
    b.cpu = "unknown";
  }
  return b;
}

} // namespace es::probes
