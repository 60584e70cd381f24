// The models keepsim can run, chosen by the config's `model` key. The command line and the tests build
// schemas and models only through here.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keepsim/core/model.hpp"
#include "keepsim/core/params.hpp"

namespace keepsim {

/// Every parameter of every model, declared once.
const Schema& full_schema();

/// Checks the parameters of the chosen model as a whole (cross-parameter rules); throws ConfigError.
void validate(const Params& params);

/// Builds the model the parameters choose. `threads` changes speed only, never results.
std::unique_ptr<Model> make_model(const Params& params, int threads);

/// Builds the model a checkpoint's config chooses and loads the checkpoint's state into it (keepsim resume).
/// A peacekeeping map comes from the checkpoint, not from the map file. Throws CheckpointError.
std::unique_ptr<Model> restore_model(const Params& params, int threads, const StateReader& state);

/// The map a peacekeeping config asks for (generated, loaded, or the plain Epstein world).
}  // namespace keepsim
namespace keepsim::peace {
struct WorldMap;
}
namespace keepsim {
peace::WorldMap scenario_map(const Params& params);

/// Global attributes describing the run: model, doctrine, seed, config, title.
std::vector<std::pair<std::string, AttrValue>> run_attrs(const Params& params);

}  // namespace keepsim
