#include "probes/thermal.hpp"

#include "daemon/core/time.hpp"

#include <cstdio>

namespace es::probes {

namespace {

constexpr const char* kThermalDir = "class/thermal";
constexpr const char* kApexDir = "class/apex";

// Trip points are thresholds, not measurements: kind "other" (unit C) so nothing that looks for
// "the hottest temperature" (the service's safety limit) mistakes a 110 C critical trip for a
// reading.
constexpr SensorKind kTripKind = SensorKind::kOther;

// Jetson's PMIC-Die zone reads a fixed 100 C placeholder (hardware.md §2.2, §4.1): recorded,
// but not as a temperature measurement.
bool is_placeholder_zone(const std::string& type) {
  return type == "pmic-die";
}

std::string source_of(const std::string& rel) {
  return "sysfs:/" + rel;
}

std::string format_c(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", c);
  return buf;
}

} // namespace

std::optional<double> millicelsius_to_c(std::int64_t mc) noexcept {
  if (mc == -256000 || mc < -273150) {
    return std::nullopt;
  }
  return static_cast<double>(mc) / 1000.0;
}

ThermalProbe::ThermalProbe(const SysfsReader& sysfs, std::chrono::nanoseconds interval)
    : ProbeBase("thermal", interval) {
  const std::string base = kThermalDir;

  // Zones: first pass collects types to find duplicates.
  struct Found {
    std::string dir;
    std::string id;
    std::string type;
  };
  std::vector<Found> zones;
  std::vector<Found> coolers;
  NameCounter zone_types;
  NameCounter cooler_types;
  if (auto names = sysfs.list(base, "thermal_zone")) {
    for (const auto& n : *names) {
      const std::string dir = base + "/" + n;
      if (!sysfs.exists(dir + "/temp")) {
        continue;
      }
      const std::string id = n.substr(std::string("thermal_zone").size());
      std::string type = sanitize_name(sysfs.read_text(dir + "/type").value_or("zone" + id));
      zone_types.add(type);
      zones.push_back(Found{dir, id, type});
    }
  }
  if (auto names = sysfs.list(base, "cooling_device")) {
    for (const auto& n : *names) {
      const std::string dir = base + "/" + n;
      const std::string id = n.substr(std::string("cooling_device").size());
      std::string type = sanitize_name(sysfs.read_text(dir + "/type").value_or("device" + id));
      cooler_types.add(type);
      coolers.push_back(Found{dir, id, type});
    }
  }

  for (const auto& z : zones) {
    Zone zone;
    zone.name = "thermal." + z.type;
    if (zone_types.count(z.type) > 1) {
      zone.name += "." + z.id;
    }
    zone.temp = SysfsFile(sysfs.path(z.dir + "/temp"));
    zone.index = add_sensor(SensorSpec{
        zone.name, is_placeholder_zone(z.type) ? SensorKind::kOther : SensorKind::kTemperature, "C",
        is_placeholder_zone(z.type) ? source_of(z.dir + "/temp") + " (fixed placeholder)"
                                    : source_of(z.dir + "/temp")});
    if (auto trips = sysfs.list(z.dir, "trip_point_")) {
      for (const auto& t : *trips) {
        const std::string suffix = "_temp";
        if (t.size() <= suffix.size() ||
            t.compare(t.size() - suffix.size(), suffix.size(), suffix) != 0) {
          continue;
        }
        const std::string k =
            t.substr(std::string("trip_point_").size(),
                     t.size() - std::string("trip_point_").size() - suffix.size());
        const std::string ttype = sanitize_name(
            sysfs.read_text(z.dir + "/trip_point_" + k + "_type").value_or("unknown"));
        Sparse s;
        s.file = SysfsFile(sysfs.path(z.dir + "/" + t));
        s.label = "trip" + k + "_" + ttype;
        s.index = add_sensor(
            SensorSpec{zone.name + "." + s.label, kTripKind, "C", source_of(z.dir + "/" + t)});
        zone.trips.push_back(std::move(s));
      }
    }
    m_zones.push_back(std::move(zone));
  }

  // Coral Edge TPU: not a thermal zone, but the same semantics (m°C plus trip points).
  if (auto apexes = sysfs.list(kApexDir, "apex_")) {
    for (const auto& a : *apexes) {
      const std::string dir = std::string(kApexDir) + "/" + a;
      if (!sysfs.exists(dir + "/temp")) {
        continue;
      }
      Zone zone;
      zone.name = "thermal." + sanitize_name(a);
      zone.temp = SysfsFile(sysfs.path(dir + "/temp"));
      zone.index = add_sensor(
          SensorSpec{zone.name, SensorKind::kTemperature, "C", source_of(dir + "/temp")});
      if (auto trips = sysfs.list(dir, "trip_point")) {
        for (const auto& t : *trips) {
          // trip_point0_temp, trip_point1_temp, trip_point2_temp
          const std::string suffix = "_temp";
          if (t.size() <= suffix.size() ||
              t.compare(t.size() - suffix.size(), suffix.size(), suffix) != 0) {
            continue;
          }
          const std::string k =
              t.substr(std::string("trip_point").size(),
                       t.size() - std::string("trip_point").size() - suffix.size());
          Sparse s;
          s.file = SysfsFile(sysfs.path(dir + "/" + t));
          s.label = "trip" + sanitize_name(k);
          s.index = add_sensor(
              SensorSpec{zone.name + "." + s.label, kTripKind, "C", source_of(dir + "/" + t)});
          zone.trips.push_back(std::move(s));
        }
      }
      m_zones.push_back(std::move(zone));
    }
  }

  for (const auto& c : coolers) {
    Cooling cooling;
    cooling.name = "thermal.cooling." + c.type;
    if (cooler_types.count(c.type) > 1) {
      cooling.name += "." + c.id;
    }
    const std::string cur = c.dir + "/cur_state";
    if (sysfs.exists(cur)) {
      cooling.cur = SysfsFile(sysfs.path(cur));
      cooling.index =
          add_sensor(SensorSpec{cooling.name, SensorKind::kCooling, "state", source_of(cur)});
    }
    const std::string max = c.dir + "/max_state";
    if (sysfs.exists(max)) {
      Sparse s;
      s.file = SysfsFile(sysfs.path(max));
      s.label = "max_state";
      s.index = add_sensor(
          SensorSpec{cooling.name + ".max_state", SensorKind::kCooling, "state", source_of(max)});
      cooling.max = std::move(s);
    }
    if (cooling.index || cooling.max) {
      m_cooling.push_back(std::move(cooling));
    }
  }
  finish_discovery();
}

void ThermalProbe::sample_sparse(Sparse& s, const std::string& owner, bool milli,
                                 ProbeOutput& out) {
  auto v = s.file.read_int();
  const std::int64_t t = mono_now_ns();
  if (!v) {
    if (s.last) {
      emit_gap(out, s.index, t);
      s.last.reset();
    }
    return;
  }
  if (s.last && *s.last == *v) {
    return;
  }
  if (s.last) {
    out.events.push_back(ProbeEvent{t, "thermal_trip_changed",
                                    "sensor=" + owner + "." + s.label + " from=" +
                                        std::to_string(*s.last) + " to=" + std::to_string(*v)});
  }
  s.last = *v;
  if (milli) {
    const auto c = millicelsius_to_c(*v);
    if (c) {
      emit(out, s.index, *c, t);
    } else {
      emit_gap(out, s.index, t, SampleStatus::kInvalid);
    }
  } else {
    emit(out, s.index, static_cast<double>(*v), t);
  }
}

void ThermalProbe::do_sample(ProbeOutput& out) {
  for (auto& z : m_zones) {
    auto v = z.temp.read_int();
    const std::int64_t t = mono_now_ns();
    std::optional<double> c;
    if (!v) {
      emit_gap(out, z.index, t, SampleStatus::kUnavailable);
    } else if (c = millicelsius_to_c(*v); !c) {
      emit_gap(out, z.index, t, SampleStatus::kInvalid);
    } else {
      emit(out, z.index, *c, t);
    }
    for (auto& trip : z.trips) {
      sample_sparse(trip, z.name, true, out);
      // Crossing detection against the trip's current value.
      if (c && z.last_c && trip.last) {
        const auto trip_c = millicelsius_to_c(*trip.last);
        if (trip_c &&
            ((*z.last_c < *trip_c && *c >= *trip_c) || (*z.last_c >= *trip_c && *c < *trip_c))) {
          out.events.push_back(
              ProbeEvent{t, "thermal_trip",
                         "zone=" + z.name + " trip=" + trip.label + " trip_c=" + format_c(*trip_c) +
                             " temp_c=" + format_c(*c) +
                             (*c >= *trip_c ? " direction=up" : " direction=down")});
        }
      }
    }
    if (c) {
      z.last_c = c;
    }
  }
  for (auto& cd : m_cooling) {
    if (cd.index) {
      auto v = cd.cur.read_int();
      const std::int64_t t = mono_now_ns();
      if (!v || *v < 0) {
        // cur_state = -1 exists in the wild (intel_powerclamp idle): not a state.
        emit_gap(out, *cd.index, t, v ? SampleStatus::kInvalid : SampleStatus::kUnavailable);
      } else {
        emit(out, *cd.index, static_cast<double>(*v), t);
        if (cd.last && (*cd.last > 0) != (*v > 0)) {
          out.events.push_back(ProbeEvent{t, *v > 0 ? "cooling_active" : "cooling_idle",
                                          "device=" + cd.name + " state=" + std::to_string(*v)});
        }
        cd.last = *v;
      }
    }
    if (cd.max) {
      sample_sparse(*cd.max, cd.name, false, out);
    }
  }
}

} // namespace es::probes
