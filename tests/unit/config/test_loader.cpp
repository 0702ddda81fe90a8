// load_file / load_string on valid configurations: defaults, every key, shipped files.
#include "config/config.hpp"
#include "tests/unit/config/test_helpers.hpp"

#include <gtest/gtest.h>

namespace es::config {
namespace {

using namespace std::chrono_literals;
using test::dump;
using test::fixture;
using test::shipped;

TEST(ConfigLoad, ShippedDefaultConfigValidates) {
  const LoadResult r = load_file(shipped("edgesoak.yaml"));
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.warnings.empty()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.run.name, "soak");
  EXPECT_EQ(c.run.duration, 3h);
  ASSERT_EQ(c.run.phases.size(), 3U);
  EXPECT_EQ(c.run.phases[0].name, "baseline");
  EXPECT_EQ(c.run.phases[0].length_kind, PhaseLength::kPercent);
  EXPECT_DOUBLE_EQ(c.run.phases[0].percent, 5.0);
  EXPECT_FALSE(c.run.phases[0].load);
  EXPECT_EQ(c.run.phases[1].length_kind, PhaseLength::kRest);
  EXPECT_TRUE(c.run.phases[1].load);
  EXPECT_DOUBLE_EQ(c.run.phases[2].percent, 10.0);
  EXPECT_EQ(c.workload.model, "mobilenet_v2");
  EXPECT_EQ(c.workload.threads, 2);
  EXPECT_TRUE(c.workload.cpus.empty());
  EXPECT_EQ(c.storage.database, "/var/lib/edgesoak/edgesoak.db");
  EXPECT_EQ(c.probes.interval_for("cpufreq"), 250ms);
  EXPECT_EQ(c.probes.interval_for("thermal"), 1s);
  EXPECT_TRUE(c.probes.ina219.empty());
  EXPECT_EQ(c.source_path, shipped("edgesoak.yaml").string());
  EXPECT_FALSE(c.source_text.empty());
}

TEST(ConfigLoad, ShippedDemoConfigValidates) {
  const LoadResult r = load_file(shipped("demo.yaml"));
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->run.duration, 30s);
  EXPECT_EQ(r.config->run.phases.size(), 3U);
}

TEST(ConfigLoad, EveryGoodFixtureValidates) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixture("good"))) {
    const LoadResult r = load_file(entry.path());
    EXPECT_TRUE(r.ok()) << entry.path() << "\n" << dump(r);
    ++count;
  }
  EXPECT_GE(count, 5);
}

TEST(ConfigLoad, MinimalFileTakesEveryDefault) {
  const LoadResult r = load_file(fixture("good/minimal.yaml"));
  ASSERT_TRUE(r.ok()) << dump(r);
  const Config& c = *r.config;
  const Config defaults;
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.run.name, defaults.run.name);
  EXPECT_EQ(c.run.board, "auto");
  EXPECT_EQ(c.run.duration, 3h);
  ASSERT_EQ(c.run.phases.size(), 1U);
  EXPECT_EQ(c.run.phases[0].name, "load");
  EXPECT_EQ(c.run.phases[0].length_kind, PhaseLength::kRest);
  EXPECT_TRUE(c.run.phases[0].load);
  EXPECT_EQ(c.workload.threads, 1);
  EXPECT_EQ(c.workload.streams, 1);
  EXPECT_EQ(c.workload.rate_per_s, 0);
  EXPECT_EQ(c.workload.isa, "auto");
  EXPECT_EQ(c.workload.verify_every, 1);
  EXPECT_EQ(c.probes.interval, 1s);
  EXPECT_EQ(c.probes.sysfs_root, "/sys");
  EXPECT_EQ(c.probes.procfs_root, "/proc");
  EXPECT_EQ(c.probes.devfs_root, "/dev");
  EXPECT_EQ(c.probes.interval_for("cpufreq"), 250ms);
  EXPECT_EQ(c.probes.interval_for("hwmon"), 1s);
  EXPECT_TRUE(c.probes.settings("devfreq").enabled);
  EXPECT_EQ(c.storage.commit_interval, 1s);
  EXPECT_EQ(c.storage.queue_capacity, 65536U);
  ASSERT_TRUE(c.safety.max_temperature_c.has_value());
  EXPECT_EQ(*c.safety.max_temperature_c, 85.0);
  EXPECT_EQ(c.safety.hold, 10s);
  EXPECT_EQ(c.logging.level, "info");
}

TEST(ConfigLoad, FullFixtureSetsEveryKey) {
  const LoadResult r = load_file(fixture("good/full.yaml"));
  ASSERT_TRUE(r.ok()) << dump(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.run.name, "rpi5.fan-test_2");
  EXPECT_EQ(c.run.board, "Raspberry Pi 5 Model B Rev 1.0");
  EXPECT_EQ(c.run.duration, 90min);
  ASSERT_EQ(c.run.phases.size(), 4U);
  EXPECT_EQ(c.run.phases[0].length_kind, PhaseLength::kAbsolute);
  EXPECT_EQ(c.run.phases[0].duration, 10min);
  EXPECT_FALSE(c.run.phases[0].load);
  EXPECT_FALSE(c.run.phases[0].rate_per_s.has_value());
  EXPECT_EQ(c.run.phases[1].length_kind, PhaseLength::kPercent);
  EXPECT_DOUBLE_EQ(c.run.phases[1].percent, 20.0);
  EXPECT_EQ(c.run.phases[1].rate_per_s, 50.0);
  EXPECT_EQ(c.run.phases[2].rate_per_s, 0.0); // "max"
  EXPECT_FALSE(c.run.phases[3].load);         // "off"
  EXPECT_EQ(c.workload.model, "resnet18");
  EXPECT_EQ(c.workload.threads, 4);
  EXPECT_EQ(c.workload.streams, 2);
  EXPECT_EQ(c.workload.cpus, (std::vector<int>{0, 1, 2, 5}));
  EXPECT_DOUBLE_EQ(c.workload.rate_per_s, 12.5);
  EXPECT_EQ(c.workload.isa, "neondot");
  EXPECT_EQ(c.workload.verify_every, 0);
  EXPECT_EQ(c.probes.interval, 500ms);
  EXPECT_EQ(c.probes.sysfs_root, "/tmp/fixture/sys");
  EXPECT_EQ(c.probes.procfs_root, "/tmp/fixture/proc");
  EXPECT_EQ(c.probes.devfs_root, "/tmp/fixture/dev");
  EXPECT_EQ(c.probes.interval_for("cpufreq"), 100ms);
  EXPECT_FALSE(c.probes.settings("thermal").enabled);
  EXPECT_TRUE(c.probes.settings("hwmon").enabled); // "hwmon:" with no value = defaults
  EXPECT_EQ(c.probes.interval_for("hwmon"), 500ms);
  EXPECT_EQ(c.probes.interval_for("rails"), 2s);
  ASSERT_EQ(c.probes.ina219.size(), 2U);
  const Ina219Device& a = c.probes.ina219[0];
  EXPECT_EQ(a.name, "board");
  EXPECT_EQ(a.bus, 1);
  EXPECT_EQ(a.address, 0x40);
  EXPECT_EQ(a.bus_range_v, 32);
  EXPECT_EQ(a.adc_samples, 1);
  EXPECT_FALSE(a.auto_gain);
  EXPECT_EQ(a.chip, "ina219");
  const Ina219Device& b = c.probes.ina219[1];
  EXPECT_EQ(b.name, "usb_5v");
  EXPECT_EQ(b.bus, 3);
  EXPECT_EQ(b.address, 69);
  EXPECT_DOUBLE_EQ(b.shunt_ohms, 0.05);
  EXPECT_DOUBLE_EQ(b.max_current_a, 5.0);
  EXPECT_EQ(b.interval, 100ms);
  EXPECT_EQ(b.bus_range_v, 16);
  EXPECT_EQ(b.adc_samples, 8);
  EXPECT_TRUE(b.auto_gain);
  EXPECT_EQ(b.chip, "ina226");
  // Relative database paths resolve against the config file's directory.
  EXPECT_EQ(c.storage.database, (fixture("good") / "data/run.db").lexically_normal());
  EXPECT_EQ(c.storage.commit_interval, 250ms);
  EXPECT_EQ(c.storage.queue_capacity, 1024U);
  EXPECT_DOUBLE_EQ(*c.safety.max_temperature_c, 80.5);
  EXPECT_EQ(c.safety.hold, 0s);
  EXPECT_EQ(c.logging.level, "debug");
}

TEST(ConfigLoad, CpuListSafetyOffAndPercentPhases) {
  const LoadResult r = load_file(fixture("good/cpus_list_safety_off.yaml"));
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->workload.cpus, (std::vector<int>{3, 1, 2})); // order kept
  EXPECT_FALSE(r.config->safety.max_temperature_c.has_value());
}

TEST(ConfigLoad, NullValuesWhereAllowed) {
  const LoadResult r = load_file(fixture("good/safety_null.yaml"));
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_FALSE(r.config->safety.max_temperature_c.has_value());
  EXPECT_TRUE(r.config->workload.cpus.empty());
}

TEST(ConfigLoad, NoLoadPhaseIsAWarningNotAnError) {
  const LoadResult r = load_file(fixture("good/no_load_phase.yaml"));
  ASSERT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.warnings.size(), 1U) << dump(r);
  EXPECT_EQ(r.warnings[0].severity, Severity::kWarning);
  EXPECT_EQ(r.warnings[0].line, 5);
  EXPECT_NE(r.warnings[0].to_string().find("run.phases: warning: no phase has load: true"),
            std::string::npos)
      << r.warnings[0].to_string();
}

TEST(ConfigLoad, EmptyAndBlankStringsAreErrors) {
  for (const std::string text : {"", "\n\n", "   \n", "# just a comment\n", "---\n", "~\n"}) {
    const LoadResult r = load_string(text, "e.yaml");
    ASSERT_FALSE(r.ok()) << "'" << text << "'";
    ASSERT_EQ(r.diagnostics.size(), 1U) << dump(r);
    EXPECT_NE(r.diagnostics[0].message.find("empty configuration; see config/edgesoak.yaml"),
              std::string::npos)
        << dump(r);
  }
}

TEST(ConfigLoad, LoadStringKeepsRelativeDatabaseAndUsesName) {
  const LoadResult r = load_string("storage:\n  database: x/y.db\n", "inline");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->storage.database, "x/y.db");
  EXPECT_EQ(r.config->source_path, "");
  EXPECT_EQ(r.config->source_text, "storage:\n  database: x/y.db\n");

  const LoadResult bad = load_string("workload:\n  threads: 0\n", "inline");
  ASSERT_EQ(bad.diagnostics.size(), 1U);
  EXPECT_EQ(bad.diagnostics[0].to_string(),
            "inline:2:12: workload.threads: expected an integer 1..256, found '0'");
}

TEST(ConfigLoad, MissingFileAndDirectory) {
  const LoadResult missing = load_file(fixture("does-not-exist.yaml"));
  ASSERT_EQ(missing.diagnostics.size(), 1U);
  EXPECT_NE(missing.diagnostics[0].to_string().find("does-not-exist.yaml: cannot open: No such "
                                                    "file or directory"),
            std::string::npos)
      << dump(missing);
  const LoadResult dir = load_file(fixture("good"));
  ASSERT_EQ(dir.diagnostics.size(), 1U);
  EXPECT_NE(dir.diagnostics[0].message.find("is a directory"), std::string::npos);
}

TEST(ConfigLoad, OversizedInputIsRejected) {
  std::string text = "run:\n  name: big\n";
  text += std::string(kMaxConfigBytes, '#');
  const LoadResult r = load_string(text, "big.yaml");
  ASSERT_EQ(r.diagnostics.size(), 1U);
  EXPECT_NE(r.diagnostics[0].message.find("larger than"), std::string::npos);
}

TEST(ConfigLoad, Utf8IsAcceptedAndBomIsSkipped) {
  const LoadResult r = load_string("\xEF\xBB\xBFrun:\n  board: \"Jetson Orin — 8 GB, 25 °C\"\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->run.board, "Jetson Orin — 8 GB, 25 °C");
}

TEST(ConfigLoad, OverlongAndSurrogateUtf8AreRejected) {
  for (const std::string bad : {"run:\n  name: \xC0\xAF\n", "run:\n  name: \xED\xA0\x80\n",
                                "run:\n  name: \xF5\x80\x80\x80\n", "run:\n  name: \xE2\x82\n"}) {
    const LoadResult r = load_string(bad, "u.yaml");
    ASSERT_EQ(r.diagnostics.size(), 1U) << dump(r);
    EXPECT_EQ(r.diagnostics[0].line, 2);
    EXPECT_EQ(r.diagnostics[0].column, 9);
    EXPECT_NE(r.diagnostics[0].message.find("invalid UTF-8"), std::string::npos);
  }
}

TEST(ConfigLoad, DiagnosticsAreSortedByPosition) {
  const LoadResult r =
      load_string("logging:\n  level: loud\nworkload:\n  threads: x\nrun:\n  name: ''\n");
  ASSERT_EQ(r.diagnostics.size(), 3U) << dump(r);
  EXPECT_EQ(r.diagnostics[0].line, 2);
  EXPECT_EQ(r.diagnostics[1].line, 4);
  EXPECT_EQ(r.diagnostics[2].line, 6);
}

TEST(ConfigLoad, HexAndDecimalAddressesAndQuotedNumbers) {
  const LoadResult r = load_string(
      "probes:\n  ina219:\n    - {name: a, address: 0x4F}\n    - {name: b, address: \"65\"}\n");
  ASSERT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.config->probes.ina219[0].address, 0x4F);
  EXPECT_EQ(r.config->probes.ina219[1].address, 65);
}

TEST(ConfigDiagnostic, ToStringFormats) {
  Diagnostic d{Severity::kError, "a.yaml", 7, 12, "workload.threads", "bad"};
  EXPECT_EQ(d.to_string(), "a.yaml:7:12: workload.threads: bad");
  d.severity = Severity::kWarning;
  EXPECT_EQ(d.to_string(), "a.yaml:7:12: workload.threads: warning: bad");
  const Diagnostic no_position{Severity::kError, "a.yaml", 0, 0, "", "cannot open"};
  EXPECT_EQ(no_position.to_string(), "a.yaml: cannot open");
  const LoadError e{{d, no_position}};
  EXPECT_EQ(e.to_string(), d.to_string() + "\n" + no_position.to_string() + "\n");
}

TEST(ConfigProbes, SettingsFallBackToDefaults) {
  Probes p;
  p.interval = 2s;
  EXPECT_EQ(p.interval_for("cpufreq"), 250ms);
  EXPECT_EQ(p.interval_for("thermal"), 2s);
  EXPECT_EQ(p.interval_for("something_new"), 2s);
  p.probe["thermal"] = ProbeSettings{false, 5s};
  EXPECT_FALSE(p.settings("thermal").enabled);
  EXPECT_EQ(p.interval_for("thermal"), 5s);
}

TEST(ConfigDescribe, SummarisesTheRun) {
  const LoadResult r = load_file(shipped("edgesoak.yaml"));
  ASSERT_TRUE(r.ok());
  const std::string text = describe(*r.config);
  for (const char* expected :
       {"run:      soak (board auto), 3h", "baseline  at 0s     for 9m", "load      at 9m",
        "for 2h33m  load, rate max", "cooldown  at 2h42m  for 18m    idle",
        "workload: mobilenet_v2, 2 threads x 1 stream, cpus any", "cpufreq 250ms",
        "database: /var/lib/edgesoak/edgesoak.db", "85 C held for 10s", "logging:  info"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  const std::string short_run = describe(*r.config, 60s);
  EXPECT_NE(short_run.find("1m (overrides run.duration 3h)"), std::string::npos) << short_run;
}

TEST(ConfigDescribe, ListsIna219AndCpuRanges) {
  const LoadResult r = load_file(fixture("good/full.yaml"));
  ASSERT_TRUE(r.ok());
  const std::string text = describe(*r.config);
  EXPECT_NE(text.find("cpus 0-2,5"), std::string::npos) << text;
  EXPECT_NE(text.find("ina219:   usb_5v (ina226) bus 3 address 0x45"), std::string::npos) << text;
  EXPECT_NE(text.find("thermal off"), std::string::npos) << text;
}

} // namespace
} // namespace es::config
