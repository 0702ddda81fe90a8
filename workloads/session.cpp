// InferenceSession (workload.hpp) on top of Network, plus list_models().
#include "workloads/engine.hpp"
#include "workloads/kernels/dispatch.hpp"
#include "workloads/models.hpp"
#include "workloads/session_internal.hpp"
#include "workloads/workload.hpp"

#include <cstdlib>

namespace es::workloads {
namespace {

class Session final : public InferenceSession {
public:
  Session(ModelInfo info, std::unique_ptr<ThreadPool> pool, std::unique_ptr<Network> net,
          std::uint64_t reference, std::string features)
      : m_info(std::move(info)), m_pool(std::move(pool)), m_net(std::move(net)),
        m_reference(reference), m_features(std::move(features)) {}

  std::uint64_t run() override {
    m_net->run();
    return m_net->output_checksum();
  }
  [[nodiscard]] std::uint64_t reference_checksum() const override { return m_reference; }
  [[nodiscard]] const ModelInfo& model() const override { return m_info; }
  [[nodiscard]] std::string isa() const override { return kernels::to_string(m_net->kernels().isa); }
  [[nodiscard]] std::string cpu_features() const override { return m_features; }

private:
  ModelInfo m_info;
  std::unique_ptr<ThreadPool> m_pool;
  std::unique_ptr<Network> m_net;
  std::uint64_t m_reference;
  std::string m_features;
};

} // namespace

std::string resolve_isa_policy(const std::string& option) {
  if (option.empty() || option == "auto") {
    const char* env = std::getenv("EDGESOAK_ISA");
    if (env != nullptr && env[0] != '\0') {
      return env;
    }
    return "auto";
  }
  return option;
}

Result<EngineParts> build_engine(const WorkloadOptions& options) {
  if (options.threads < 1 || options.threads > 256) {
    return make_error(ErrorCode::kInvalidArgument,
                      "threads must be in [1, 256], got " + std::to_string(options.threads));
  }
  auto spec = build_model(options.model);
  if (!spec) {
    return spec.error();
  }
  const auto& features = kernels::detect_cpu_features();
  auto set = kernels::select_kernels(resolve_isa_policy(options.isa), features);
  if (!set) {
    return set.error();
  }
  EngineParts parts;
  parts.spec = std::move(spec.value());
  parts.kernels = set.value();
  parts.pool = std::make_unique<ThreadPool>(options.threads, options.cpus);
  auto net = Network::create(parts.spec, *parts.kernels, parts.pool.get());
  if (!net) {
    return net.error();
  }
  parts.network = std::move(net.value());
  return parts;
}

Result<std::uint64_t> compute_reference_checksum(const NetSpec& spec, ThreadPool* pool) {
  auto ref = Network::create(spec, *kernels::kernels_reference(), pool);
  if (!ref) {
    return ref.error();
  }
  ref.value()->run();
  return ref.value()->output_checksum();
}

Result<std::unique_ptr<InferenceSession>> InferenceSession::create(const WorkloadOptions& options) {
  auto parts = build_engine(options);
  if (!parts) {
    return parts.error();
  }
  EngineParts& p = parts.value();
  std::uint64_t reference = 0;
  if (p.kernels->isa == kernels::Isa::kReference) {
    p.network->run();
    reference = p.network->output_checksum();
  } else {
    auto r = compute_reference_checksum(p.spec, p.pool.get());
    if (!r) {
      return r.error();
    }
    reference = r.value();
  }
  return std::unique_ptr<InferenceSession>(
      std::make_unique<Session>(model_info(p.spec), std::move(p.pool), std::move(p.network),
                                reference, kernels::detect_cpu_features().to_string()));
}

std::vector<ModelInfo> list_models() {
  std::vector<ModelInfo> out;
  for (const auto& name : model_names()) {
    auto spec = build_model(name);
    if (spec) {
      out.push_back(model_info(spec.value()));
    }
  }
  return out;
}

} // namespace es::workloads
