#include "models/registry.hpp"

#include "models/epstein/model.hpp"
#include "models/epstein/params.hpp"

namespace keepsim {

const Schema& full_schema() {
  static const Schema schema = [] {
    Schema s;
    epstein::declare_params(s);
    return s;
  }();
  return schema;
}

void validate(const Params& params) {
  (void)epstein::read_config(params);
}

std::unique_ptr<Model> make_model(const Params& params, int threads) {
  return std::make_unique<epstein::EpsteinModel>(epstein::read_config(params), threads);
}

std::vector<std::pair<std::string, AttrValue>> run_attrs(const Params& params) {
  return {{"title", params.get_string("title")},
          {"model", params.get_string("model")},
          {"doctrine", std::string("none")},
          {"seed", params.get_int("run.seed")},
          {"config", params.to_toml()}};
}

}  // namespace keepsim
