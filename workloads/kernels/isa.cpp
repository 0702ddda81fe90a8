#include "workloads/kernels/isa.hpp"


namespace es::kernels {

const char* to_string(Isa isa) noexcept {
  switch (isa) {
  case Isa::kReference:
    return "reference";
  case Isa::kAvx2:
    return "avx2";
  case Isa::kAvxVnni:
    return "avxvnni";
  case Isa::kAvx512Vnni:
    return "avx512vnni";
  case Isa::kNeon:
    return "neon";
  case Isa::kNeonDot:
    return "neondot";
  case Isa::kNeonI8mm:
    return "neoni8mm";
  }
  return "unknown";
}

std::optional<Isa> parse_isa(std::string_view name) noexcept {
  for (Isa isa : {Isa::kReference, Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512Vnni, Isa::kNeon,
                  Isa::kNeonDot, Isa::kNeonI8mm}) {
    if (name == to_string(isa)) {
      return isa;
    }
  }
  if (name == "i8mm") {
    return Isa::kNeonI8mm;
  }
  if (name == "scalar") {
    return Isa::kReference;
  }
  return std::nullopt;
}

std::vector<Isa> all_isas() {
  return {Isa::kReference, Isa::kAvx2,    Isa::kAvxVnni,  Isa::kAvx512Vnni,
          Isa::kNeon,      Isa::kNeonDot, Isa::kNeonI8mm};
}

std::string mask_to_string(IsaMask mask) {
  std::string out;
  for (Isa isa : all_isas()) {
    if ((mask & static_cast<IsaMask>(isa)) != 0) {
      if (!out.empty()) {
        out += ' ';
      }
      out += to_string(isa);
    }
  }
  return out;
}

} // namespace es::kernels
