// Building Epstein models from TOML text in tests, through the same schema and checks as the command line.
#pragma once
#include <string>

#include "keepsim/core/params.hpp"
#include "models/epstein/model.hpp"
#include "models/registry.hpp"

namespace keepsim::test {

/// Loads TOML layers separated by lines "---", later layers overriding earlier ones (as several config
/// files).
inline Params params_from(const std::string& toml) {
  Params p(full_schema());
  std::size_t start = 0;
  while (true) {
    const std::size_t cut = toml.find("\n---\n", start);
    p.load_string(toml.substr(start, cut == std::string::npos ? std::string::npos : cut - start), "test");
    if (cut == std::string::npos) break;
    start = cut + 5;
  }
  return p;
}

inline epstein::EpsteinModel model_from(const std::string& toml, int threads = 1) {
  return epstein::EpsteinModel(epstein::read_config(params_from(toml)), threads);
}

/// A small Model I world: 20x20, vision 3, the usual densities.
inline std::string small_model_i(const std::string& extra = "") {
  return "[world]\nwidth = 20\nheight = 20\n[citizens]\nvision = 3\nlegitimacy = 0.7\n[cops]\nvision = 3\n"
         "density = 0.04\n---\n" +
         extra;
}

/// A small Model II world: 20x20 with cloning and ageing.
inline std::string small_model_ii(const std::string& extra = "") {
  return "[world]\nwidth = 20\nheight = 20\n[citizens]\nvision = 1.7\nlegitimacy = 0.8\ngroups = 2\n"
         "violence = \"inter_group\"\n[cops]\nvision = 1.7\ndensity = 0.02\n[jail]\nmax_term = 15\n"
         "[demography]\nclone_probability = 0.05\nmax_age = 200\n---\n" +
         extra;
}

}  // namespace keepsim::test
