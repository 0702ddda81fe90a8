#include "probes/hwmon.hpp"

#include "daemon/core/log.hpp"
#include "daemon/core/time.hpp"
#include "probes/thermal.hpp"

#include <sensors/sensors.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

namespace es::probes {

namespace {

constexpr const char* kHwmonDir = "class/hwmon";

// --- libsensors: process-wide init with a reference count (the library has global state) ---

std::mutex g_sensors_mutex;
int g_sensors_refs = 0;
bool g_sensors_ok = false;

bool libsensors_acquire(const std::filesystem::path& config) {
  std::lock_guard lock(g_sensors_mutex);
  if (g_sensors_refs == 0) {
    if (config.empty()) {
      g_sensors_ok = sensors_init(nullptr) == 0;
    } else {
      std::FILE* f = std::fopen(config.c_str(), "r");
      g_sensors_ok = f != nullptr && sensors_init(f) == 0;
      if (f != nullptr) {
        std::fclose(f);
      }
    }
    if (!g_sensors_ok) {
      sensors_cleanup();
    }
  }
  if (!g_sensors_ok) {
    return false;
  }
  ++g_sensors_refs;
  return true;
}

void libsensors_release() {
  std::lock_guard lock(g_sensors_mutex);
  if (g_sensors_refs > 0 && --g_sensors_refs == 0) {
    sensors_cleanup();
    g_sensors_ok = false;
  }
}

std::string basename_of(std::string_view p) {
  while (!p.empty() && p.back() == '/') {
    p.remove_suffix(1);
  }
  const std::size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

bool is_ina3221_shunt(std::string_view chip, std::string_view type, int channel) {
  return chip == "ina3221" && type == "in" && channel >= 4 && channel <= 7;
}

} // namespace

const char* to_string(HwmonBackend b) noexcept {
  switch (b) {
  case HwmonBackend::kAuto:
    return "auto";
  case HwmonBackend::kSysfs:
    return "sysfs";
  case HwmonBackend::kLibsensors:
    return "libsensors";
  }
  return "auto";
}

std::optional<HwmonUnit> hwmon_unit(std::string_view chip, std::string_view type,
                                    int channel) noexcept {
  if (type == "temp") {
    return HwmonUnit{SensorKind::kTemperature, "C", 1e-3};
  }
  if (type == "in") {
    return HwmonUnit{SensorKind::kVoltage, "V",
                     is_ina3221_shunt(chip, type, channel) ? 1e-6 : 1e-3};
  }
  if (type == "curr") {
    return HwmonUnit{SensorKind::kCurrent, "A", 1e-3};
  }
  if (type == "power") {
    return HwmonUnit{SensorKind::kPower, "W", 1e-6};
  }
  if (type == "energy") {
    return HwmonUnit{SensorKind::kOther, "J", 1e-6};
  }
  if (type == "fan") {
    return HwmonUnit{SensorKind::kCooling, "rpm", 1.0};
  }
  if (type == "freq") {
    return HwmonUnit{SensorKind::kFrequency, "Hz", 1.0};
  }
  return std::nullopt;
}

std::optional<HwmonAttr> parse_hwmon_attr(std::string_view file) {
  std::size_t i = 0;
  while (i < file.size() && file[i] >= 'a' && file[i] <= 'z') {
    ++i;
  }
  std::size_t j = i;
  while (j < file.size() && file[j] >= '0' && file[j] <= '9') {
    ++j;
  }
  if (i == 0 || j == i || j >= file.size() || file[j] != '_') {
    return std::nullopt;
  }
  auto ch = parse_int(file.substr(i, j - i));
  if (!ch) {
    return std::nullopt;
  }
  return HwmonAttr{std::string(file.substr(0, i)), static_cast<int>(*ch),
                   std::string(file.substr(j + 1))};
}

HwmonProbe::HwmonProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval,
                       HwmonOptions options)
    : ProbeBase("hwmon", interval) {
  std::string root = sysfs.root().lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') {
    root.pop_back(); // a trailing slash still names the real root
  }
  const bool real_root = root == kDefaultSysfsRoot;
  bool done = false;
  if (options.backend == HwmonBackend::kLibsensors ||
      (options.backend == HwmonBackend::kAuto && real_root)) {
    done = discover_libsensors(options);
    if (done) {
      m_backend = HwmonBackend::kLibsensors;
    }
  }
  if (!done && options.backend != HwmonBackend::kLibsensors) {
    m_sensors.clear();
    m_channels.clear();
    discover_sysfs(sysfs, options);
    m_backend = HwmonBackend::kSysfs;
  }
  if (options.backend == HwmonBackend::kLibsensors) {
    m_backend = HwmonBackend::kLibsensors;
  }
  finish_discovery();
}

HwmonProbe::~HwmonProbe() {
  if (m_libsensors_ref) {
    libsensors_release();
  }
}

bool HwmonProbe::discover_sysfs(const SysfsReader& sysfs, const HwmonOptions& options) {
  auto dirs = sysfs.list(kHwmonDir, "hwmon");
  if (!dirs) {
    return false;
  }
  struct Chip {
    std::string dir;
    std::string name;
    std::string device;
  };
  std::vector<Chip> chips;
  NameCounter counts;
  for (const auto& d : *dirs) {
    const std::string dir = std::string(kHwmonDir) + "/" + d;
    // Old drivers put `name` on the parent device rather than the hwmon class device.
    auto name = sysfs.read_text(dir + "/name");
    if (!name) {
      name = sysfs.read_text(dir + "/device/name");
    }
    if (!name) {
      continue;
    }
    if (std::find(options.exclude_chips.begin(), options.exclude_chips.end(), *name) !=
        options.exclude_chips.end()) {
      continue;
    }
    std::string device = d;
    if (auto link = sysfs.read_link(dir + "/device")) {
      device = basename_of(*link);
    }
    counts.add(*name);
    chips.push_back(Chip{dir, *name, device});
  }
  for (const auto& c : chips) {
    std::string prefix = "hwmon." + sanitize_name(c.name);
    if (counts.count(c.name) > 1) {
      prefix += "." + sanitize_name(c.device);
    }
    // Attributes may live in the hwmon dir or (old drivers) in its device dir.
    for (const std::string& adir : {c.dir, c.dir + "/device"}) {
      auto files = sysfs.list(adir);
      if (!files) {
        continue;
      }
      bool found = false;
      for (const auto& f : *files) {
        auto attr = parse_hwmon_attr(f);
        if (!attr ||
            (attr->item != "input" && !(attr->type == "power" && attr->item == "average"))) {
          continue;
        }
        if (attr->type == "power" && attr->item == "average" &&
            sysfs.exists(adir + "/power" + std::to_string(attr->channel) + "_input")) {
          continue; // prefer power*_input
        }
        auto unit = hwmon_unit(c.name, attr->type, attr->channel);
        if (!unit) {
          continue;
        }
        const std::string feature = attr->type + std::to_string(attr->channel);
        std::string label = sysfs.read_text(adir + "/" + feature + "_label").value_or(feature);
        if (label.empty()) {
          label = feature;
        }
        Channel ch;
        ch.temperature = attr->type == "temp";
        ch.scale = unit->scale;
        ch.file = SysfsFile(sysfs.path(adir + "/" + f));
        ch.index = add_sensor(SensorSpec{prefix + "." + sanitize_name(label), unit->kind,
                                         unit->unit, "sysfs:/" + adir + "/" + f});
        m_channels.push_back(std::move(ch));
        found = true;
      }
      if (found) {
        break;
      }
    }
  }
  // Two features with the same label on one chip would collide: rename later ones.
  std::map<std::string, int> seen;
  for (auto& s : m_sensors) {
    const int n = seen[s.name]++;
    if (n > 0) {
      s.name += "_" + std::to_string(n + 1);
    }
  }
  return !m_channels.empty();
}

bool HwmonProbe::discover_libsensors(const HwmonOptions& options) {
  if (!libsensors_acquire(options.libsensors_config)) {
    return false;
  }
  m_libsensors_ref = true;
  struct Found {
    const sensors_chip_name* chip;
    std::string prefix;
    std::string device;
  };
  std::vector<Found> chips;
  NameCounter counts;
  int nr = 0;
  while (const sensors_chip_name* chip = sensors_get_detected_chips(nullptr, &nr)) {
    const std::string prefix = chip->prefix != nullptr ? chip->prefix : "unknown";
    if (std::find(options.exclude_chips.begin(), options.exclude_chips.end(), prefix) !=
        options.exclude_chips.end()) {
      continue;
    }
    std::string device;
    if (chip->path != nullptr) {
      std::error_code ec;
      auto link = std::filesystem::read_symlink(std::filesystem::path(chip->path) / "device", ec);
      device = ec ? basename_of(chip->path) : basename_of(link.string());
    }
    counts.add(prefix);
    chips.push_back(Found{chip, prefix, device});
  }
  for (const auto& c : chips) {
    std::string name_prefix = "hwmon." + sanitize_name(c.prefix);
    if (counts.count(c.prefix) > 1) {
      name_prefix += "." + sanitize_name(c.device);
    }
    char chip_text[128];
    if (sensors_snprintf_chip_name(chip_text, sizeof chip_text, c.chip) < 0) {
      chip_text[0] = '\0';
    }
    int fnr = 0;
    while (const sensors_feature* f = sensors_get_features(c.chip, &fnr)) {
      const char* type = nullptr;
      sensors_subfeature_type sub = SENSORS_SUBFEATURE_UNKNOWN;
      switch (f->type) {
      case SENSORS_FEATURE_TEMP:
        type = "temp";
        sub = SENSORS_SUBFEATURE_TEMP_INPUT;
        break;
      case SENSORS_FEATURE_IN:
        type = "in";
        sub = SENSORS_SUBFEATURE_IN_INPUT;
        break;
      case SENSORS_FEATURE_CURR:
        type = "curr";
        sub = SENSORS_SUBFEATURE_CURR_INPUT;
        break;
      case SENSORS_FEATURE_POWER:
        type = "power";
        sub = SENSORS_SUBFEATURE_POWER_INPUT;
        break;
      case SENSORS_FEATURE_ENERGY:
        type = "energy";
        sub = SENSORS_SUBFEATURE_ENERGY_INPUT;
        break;
      case SENSORS_FEATURE_FAN:
        type = "fan";
        sub = SENSORS_SUBFEATURE_FAN_INPUT;
        break;
      default:
        break;
      }
      if (type == nullptr) {
        continue;
      }
      const sensors_subfeature* sf = sensors_get_subfeature(c.chip, f, sub);
      if (sf == nullptr && f->type == SENSORS_FEATURE_POWER) {
        sf = sensors_get_subfeature(c.chip, f, SENSORS_SUBFEATURE_POWER_AVERAGE);
      }
      if (sf == nullptr) {
        continue;
      }
      auto attr = parse_hwmon_attr(std::string(f->name) + "_input");
      const int channel = attr ? attr->channel : 0;
      auto unit = hwmon_unit(c.prefix, type, channel);
      if (!unit) {
        continue;
      }
      char* label_c = sensors_get_label(c.chip, f);
      std::string label = label_c != nullptr ? label_c : f->name;
      std::free(label_c);
      Channel ch;
      ch.temperature = f->type == SENSORS_FEATURE_TEMP;
      // libsensors already scales to V/C/A/W/J; only the INA3221 uV quirk remains.
      ch.scale = is_ina3221_shunt(c.prefix, type, channel) ? 1e-3 : 1.0;
      ch.chip = c.chip;
      ch.subfeature = sf->number;
      ch.index =
          add_sensor(SensorSpec{name_prefix + "." + sanitize_name(label), unit->kind, unit->unit,
                                std::string("libsensors:") + chip_text + "/" + sf->name});
      m_channels.push_back(std::move(ch));
    }
  }
  std::map<std::string, int> seen;
  for (auto& s : m_sensors) {
    const int n = seen[s.name]++;
    if (n > 0) {
      s.name += "_" + std::to_string(n + 1);
    }
  }
  if (m_channels.empty()) {
    libsensors_release();
    m_libsensors_ref = false;
    return false;
  }
  return true;
}

void HwmonProbe::do_sample(ProbeOutput& out) {
  for (auto& ch : m_channels) {
    if (ch.chip != nullptr) {
      double v = 0;
      const int rc =
          sensors_get_value(static_cast<const sensors_chip_name*>(ch.chip), ch.subfeature, &v);
      const std::int64_t t = mono_now_ns();
      if (rc != 0) {
        emit_gap(out, ch.index, t);
      } else if (ch.temperature && (v == -256.0 || v < -273.15)) {
        emit_gap(out, ch.index, t, SampleStatus::kInvalid);
      } else {
        emit(out, ch.index, v * ch.scale, t);
      }
      continue;
    }
    auto v = ch.file.read_int();
    const std::int64_t t = mono_now_ns();
    if (!v) {
      emit_gap(out, ch.index, t);
    } else if (ch.temperature) {
      if (auto c = millicelsius_to_c(*v)) {
        emit(out, ch.index, *c, t);
      } else {
        emit_gap(out, ch.index, t, SampleStatus::kInvalid);
      }
    } else {
      emit(out, ch.index, static_cast<double>(*v) * ch.scale, t);
    }
  }
}

} // namespace es::probes
