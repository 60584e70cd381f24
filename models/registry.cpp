#include "models/registry.hpp"

#include "keepsim/core/errors.hpp"
#include "models/epstein/model.hpp"
#include "models/epstein/params.hpp"
#include "models/peacekeeping/model.hpp"
#include "models/peacekeeping/params.hpp"
#include "models/peacekeeping/world_map.hpp"

namespace keepsim {
namespace {

bool is_peacekeeping(const Params& params) {
  return params.get_string("model") == "peacekeeping";
}

peace::WorldMap world_map(const peace::Config& c) {
  switch (c.map_source) {
    case peace::MapSource::Generate:
      return peace::generate_map(c.map, c.base.width, c.base.height);
    case peace::MapSource::File:
      return peace::load_map(c.map_file, c.base.width, c.base.height);
    case peace::MapSource::None:
      break;
  }
  return peace::WorldMap::plain(c.base.width, c.base.height);
}

const Schema& epstein_schema() {
  static const Schema schema = [] {
    Schema s;
    epstein::declare_params(s);
    return s;
  }();
  return schema;
}

// Both models share one schema (full_schema), so an Epstein config may name a peacekeeping key; the Epstein
// model never reads it, and a value set away from its default would do nothing without a word. Refused with
// the file and the key. A value equal to the default is let through: the config saved in a run file (and so
// a resumed run's) lists every key of the schema.
void refuse_peacekeeping_keys(const Params& params) {
  for (const ParamSpec& spec : full_schema().all()) {
    if (epstein_schema().find(spec.key) || params.origin(spec.key) == "default") continue;
    if (params.get(spec.key) == spec.default_value) continue;
    throw ConfigError(
        params.origin(spec.key), spec.key,
        "is a key of the peacekeeping model, and this config runs the Epstein model (model = "
        "\"epstein\"), which does not read it; set model = \"peacekeeping\" or leave the key out");
  }
}

epstein::Config epstein_config(const Params& params) {
  refuse_peacekeeping_keys(params);
  return epstein::read_config(params);
}

}  // namespace

const Schema& full_schema() {
  static const Schema schema = [] {
    Schema s;
    epstein::declare_params(s);
    peace::declare_params(s);
    return s;
  }();
  return schema;
}

void validate(const Params& params) {
  if (!is_peacekeeping(params)) {
    (void)epstein_config(params);
    return;
  }
  const peace::Config c = peace::read_config(params);
  // A map file is checked here, before anything is written. A generated map is not built: read_config checked
  // the generator's parameters, and building the map of a large world would take the run's own memory.
  if (c.map_source == peace::MapSource::File) (void)world_map(c);
}

std::unique_ptr<Model> make_model(const Params& params, int threads) {
  if (!is_peacekeeping(params))
    return std::make_unique<epstein::EpsteinModel>(epstein_config(params), threads);
  const peace::Config c = peace::read_config(params);
  return std::make_unique<peace::PeaceModel>(c, world_map(c), threads);
}

std::unique_ptr<Model> restore_model(const Params& params, int threads, const StateReader& state) {
  std::unique_ptr<Model> model;
  if (!is_peacekeeping(params))
    model = std::make_unique<epstein::EpsteinModel>(epstein::read_config(params), threads);
  else
    model = std::make_unique<peace::PeaceModel>(peace::read_config(params), peace::map_from_state(state),
                                                threads);
  model->load_state(state);
  return model;
}

peace::WorldMap scenario_map(const Params& params) {
  return world_map(peace::read_config(params));
}

std::vector<std::pair<std::string, AttrValue>> run_attrs(const Params& params) {
  return {{"title", params.get_string("title")},
          {"model", params.get_string("model")},
          {"doctrine", is_peacekeeping(params) ? params.get_string("doctrine") : std::string("none")},
          {"seed", params.get_int("run.seed")},
          {"config", params.to_toml()}};
}

}  // namespace keepsim
