#include "workloads/commands.hpp"

#include "daemon/core/exit_codes.hpp"
#include "daemon/core/time.hpp"
#include "workloads/kernels/dispatch.hpp"
#include "workloads/kernels/peak.hpp"
#include "workloads/session_internal.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>

namespace es::workloads {
namespace {

constexpr const char* kBenchUsage =
    "usage: edgesoak bench --model M [--threads N] [--runs R] [--warmup W] [--isa I]\n"
    "                      [--cpus C0,C1,...] [--json] [--profile] [--no-verify]\n"
    "  --model     mobilenet_v1 | mobilenet_v2 | resnet18 | resnet50 | squeezenet1_1 |\n"
    "              efficientnet_lite0\n"
    "  --threads   threads per inference, the calling thread included (default 1)\n"
    "  --runs      timed inferences (default 50)\n"
    "  --warmup    untimed inferences first (default 5)\n"
    "  --isa       auto | reference | avx2 | avxvnni | avx512vnni | neon | neondot | neoni8mm\n"
    "  --cpus      pin threads to these CPUs (round-robin)\n"
    "  --json      one JSON object instead of text\n"
    "  --profile   per-layer and per-class times (extra profiled runs)\n"
    "  --no-verify skip the start-up comparison with the reference kernels\n";

constexpr const char* kModelsUsage = "usage: edgesoak models [--json]\n";

// "%<width>.<precision>f" without a non-literal format string.
std::string fmt_spec(int width, int precision, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%*.*f", width, precision, v);
  return buf;
}

std::string hex64(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

bool parse_int(const std::string& s, int lo, int hi, int& out) {
  try {
    std::size_t pos = 0;
    const long v = std::stol(s, &pos);
    if (pos != s.size() || v < lo || v > hi) {
      return false;
    }
    out = static_cast<int>(v);
    return true;
  } catch (...) {
    return false;
  }
}

bool parse_cpus(const std::string& s, std::vector<int>& out) {
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int cpu = 0;
    if (!parse_int(item, 0, 4095, cpu)) {
      return false;
    }
    out.push_back(cpu);
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return !out.empty();
}

// Nearest-rank percentile of sorted values (the anchors' definition).
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0.0;
  }
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::min(sorted.size(), std::max<std::size_t>(1, rank));
  return sorted[rank - 1];
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

} // namespace

int cmd_bench(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  WorkloadOptions options;
  options.model.clear();
  int runs = 50;
  int warmup = 5;
  bool json = false;
  bool profile = false;
  bool verify = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& dst) {
      if (i + 1 >= args.size()) {
        return false;
      }
      dst = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      out << kBenchUsage;
      return kExitOk;
    } else if (a == "--model" && value(v)) {
      options.model = v;
    } else if (a == "--threads" && value(v) && parse_int(v, 1, 256, options.threads)) {
    } else if (a == "--runs" && value(v) && parse_int(v, 1, 1000000, runs)) {
    } else if (a == "--warmup" && value(v) && parse_int(v, 0, 1000000, warmup)) {
    } else if (a == "--isa" && value(v)) {
      options.isa = v;
    } else if (a == "--cpus" && value(v) && parse_cpus(v, options.cpus)) {
    } else if (a == "--json") {
      json = true;
    } else if (a == "--profile") {
      profile = true;
    } else if (a == "--no-verify") {
      verify = false;
    } else {
      err << "edgesoak bench: error: bad argument '" << a << "'\n" << kBenchUsage;
      return kExitUsage;
    }
  }
  if (options.model.empty()) {
    err << "edgesoak bench: error: --model is required\n" << kBenchUsage;
    return kExitUsage;
  }
  auto parts = build_engine(options);
  if (!parts) {
    err << "edgesoak bench: error: " << parts.error().message << "\n";
    return parts.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitRuntime;
  }
  EngineParts& p = parts.value();
  const std::uint64_t macs = p.spec.macs();

  // This core's int8 peak for the chosen ISA, measured briefly before the model runs.
  const double peak_1t = kernels::measure_peak_macs(*p.kernels, 0.3) * 1e-9;
  const double peak = peak_1t * options.threads;

  for (int i = 0; i < warmup; ++i) {
    p.network->run();
  }
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(runs));
  for (int i = 0; i < runs; ++i) {
    const std::int64_t t0 = mono_now_ns();
    p.network->run();
    ms.push_back(static_cast<double>(mono_now_ns() - t0) * 1e-6);
  }
  const std::uint64_t checksum = p.network->output_checksum();
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const double median = percentile(sorted, 50);
  const double p90 = percentile(sorted, 90);
  const double p99 = percentile(sorted, 99);
  const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  const double gmacs = static_cast<double>(macs) / (median * 1e-3) * 1e-9;
  const double peak_pct = peak > 0.0 ? 100.0 * gmacs / peak : 0.0;

  std::string verify_text = "not checked";
  bool mismatch = false;
  if (verify) {
    auto ref = compute_reference_checksum(p.spec, p.pool.get());
    if (!ref) {
      err << "edgesoak bench: error: " << ref.error().message << "\n";
      return kExitRuntime;
    }
    mismatch = ref.value() != checksum;
    verify_text = mismatch ? "MISMATCH reference " + hex64(ref.value()) : "matches reference";
  }

  const int prof_runs = std::max(5, runs / 2);
  if (profile) {
    for (int i = 0; i < prof_runs; ++i) {
      p.network->run_profiled();
    }
  }

  const std::string isa = kernels::to_string(p.kernels->isa);
  if (json) {
    out << "{\"model\":\"" << p.spec.name << "\",\"threads\":" << options.threads << ",\"isa\":\""
        << isa << "\",\"runs\":" << runs << ",\"warmup\":" << warmup
        << ",\"median_ms\":" << fmt_spec(0, 4, median) << ",\"p90_ms\":" << fmt_spec(0, 4, p90)
        << ",\"p99_ms\":" << fmt_spec(0, 4, p99) << ",\"min_ms\":" << fmt_spec(0, 4, sorted.front())
        << ",\"mean_ms\":" << fmt_spec(0, 4, mean) << ",\"max_ms\":" << fmt_spec(0, 4, sorted.back())
        << ",\"gmacs\":" << fmt_spec(0, 2, gmacs) << ",\"macs\":" << macs
        << ",\"peak_gmacs\":" << fmt_spec(0, 2, peak) << ",\"peak_percent\":" << fmt_spec(0, 1, peak_pct)
        << ",\"peak_instruction\":\"" << json_escape(p.kernels->peak_instruction) << "\""
        << ",\"igemm\":\"" << p.kernels->igemm_name << "\",\"dwconv\":\"" << p.kernels->dwconv_name
        << "\",\"cpu_features\":\"" << kernels::detect_cpu_features().to_string()
        << "\",\"output_checksum\":\"" << hex64(checksum) << "\",\"verified\":"
        << (verify ? (mismatch ? "false" : "true") : "null");
    if (profile) {
      out << ",\"layers\":[";
      for (std::size_t i = 0; i < p.network->profile().size(); ++i) {
        const auto& l = p.network->profile()[i];
        out << (i ? "," : "") << "{\"label\":\"" << json_escape(l.label) << "\",\"kind\":\"" << l.kind
            << "\",\"macs\":" << l.macs << ",\"ms\":" << fmt_spec(0, 4, l.total_ms / prof_runs) << "}";
      }
      out << "]";
    }
    out << "}\n";
  } else {
    out << "edgesoak bench: model=" << p.spec.name << " threads=" << options.threads
        << " isa=" << isa << " (" << p.kernels->igemm_name << ", " << p.kernels->dwconv_name
        << ") runs=" << runs << " warmup=" << warmup << "\n";
    out << "  latency ms: min " << fmt_spec(0, 3, sorted.front()) << "  median " << fmt_spec(0, 3, median)
        << "  mean " << fmt_spec(0, 3, mean) << "  p90 " << fmt_spec(0, 3, p90) << "  p99 "
        << fmt_spec(0, 3, p99) << "  max " << fmt_spec(0, 3, sorted.back()) << "\n";
    out << "  throughput: " << fmt_spec(0, 3, static_cast<double>(macs) * 1e-9) << " GMAC/inference -> "
        << fmt_spec(0, 1, gmacs) << " GMAC/s = " << fmt_spec(0, 0, peak_pct) << "% of peak "
        << fmt_spec(0, 1, peak) << " GMAC/s (max of " << p.kernels->peak_instruction << " loop and "
        << p.kernels->igemm_name << " in L1, "
        << fmt_spec(0, 1, peak_1t) << " per core x " << options.threads << ")\n";
    if (p.kernels->wino_input != nullptr) {
      out << "  (MACs are the network's direct-convolution MACs; Winograd layers multiply less,\n"
             "   so GMAC/s and % of peak can exceed the instruction peak)\n";
    }
    out << "  output fnv1a " << hex64(checksum) << " (" << verify_text << "); arena "
        << p.network->arena_bytes() / 1024 << " KiB\n";
    if (profile) {
      std::map<std::string, std::pair<double, std::uint64_t>> classes;
      double total = 0.0;
      for (const auto& l : p.network->profile()) {
        const double lms = l.total_ms / prof_runs;
        classes[l.kind].first += lms;
        classes[l.kind].second += l.macs;
        total += lms;
      }
      out << "  per class (" << prof_runs << " profiled runs):\n";
      for (const auto& [kind, v] : classes) {
        out << "    " << kind << std::string(kind.size() < 10 ? 10 - kind.size() : 1, ' ')
            << fmt_spec(8, 3, v.first) << " ms " << fmt_spec(5, 1, 100.0 * v.first / total) << "%";
        if (v.second > 0) {
          out << "  " << fmt_spec(7, 1, static_cast<double>(v.second) / (v.first * 1e-3) * 1e-9)
              << " GMAC/s";
        }
        out << "\n";
      }
      out << "  per layer:\n";
      for (std::size_t i = 0; i < p.network->profile().size(); ++i) {
        const auto& l = p.network->profile()[i];
        const double lms = l.total_ms / prof_runs;
        out << "    " << fmt_spec(3, 0, static_cast<double>(i)) << " " << l.kind << " " << l.label
            << ": " << fmt_spec(0, 4, lms) << " ms";
        if (l.macs > 0) {
          out << " " << fmt_spec(0, 1, static_cast<double>(l.macs) / (lms * 1e-3) * 1e-9) << " GMAC/s";
        }
        out << "\n";
      }
      for (const auto& [kind, v] : classes) {
        out << "PROFILE runtime=edgesoak model=" << p.spec.name << " threads=" << options.threads
            << " class=" << kind << " ms=" << fmt_spec(0, 4, v.first) << " macs=" << v.second << "\n";
      }
    }
    out << "RESULT runtime=edgesoak model=" << p.spec.name << " threads=" << options.threads
        << " runs=" << runs << " median_ms=" << fmt_spec(0, 4, median) << " p90_ms=" << fmt_spec(0, 4, p90)
        << " p99_ms=" << fmt_spec(0, 4, p99) << " min_ms=" << fmt_spec(0, 4, sorted.front())
        << " mean_ms=" << fmt_spec(0, 4, mean) << " macs=" << macs << " gmacs_per_s="
        << fmt_spec(0, 2, gmacs) << "\n";
  }
  if (mismatch) {
    err << "edgesoak bench: error: output checksum differs from the reference kernels\n";
    return kExitRuntime;
  }
  return kExitOk;
}

int cmd_models(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      out << kModelsUsage;
      return kExitOk;
    }
    if (a == "--json") {
      json = true;
      continue;
    }
    err << "edgesoak models: error: bad argument '" << a << "'\n" << kModelsUsage;
    return kExitUsage;
  }
  const std::vector<ModelInfo> models = list_models();
  if (json) {
    out << "[";
    for (std::size_t i = 0; i < models.size(); ++i) {
      const auto& m = models[i];
      out << (i ? "," : "") << "{\"name\":\"" << m.name << "\",\"description\":\""
          << json_escape(m.description) << "\",\"macs\":" << m.macs << ",\"parameters\":"
          << m.parameters << ",\"input\":[" << m.input_h << "," << m.input_w << "," << m.input_c
          << "]}";
    }
    out << "]\n";
    return kExitOk;
  }
  out << "model               MMACs   params(M)  input      description\n";
  for (const auto& m : models) {
    char line[256];
    std::snprintf(line, sizeof line, "%-18s %7.1f %9.2f   %dx%dx%d  ", m.name.c_str(),
                  static_cast<double>(m.macs) * 1e-6, static_cast<double>(m.parameters) * 1e-6,
                  m.input_h, m.input_w, m.input_c);
    out << line << m.description << "\n";
  }
  return kExitOk;
}

} // namespace es::workloads
