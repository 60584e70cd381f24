// The Epstein model's checkpoint state (Model::save_state, load_state). Random draws need none: every stream
// is a pure function of (seed, purpose, id, period). What is not a function of the period, and so is saved:
// the agents (born, killed, jailed, aged, moved), the cells and the bit layers derived from them, the cop
// count, the cops' initial count the cop schedule scales from, and the period. The sync schedule's scratch
// (next_status_, cell_claim_, seen_, target_) is reset after use or rebuilt every period before it is read,
// and the event counters are zeroed at the start of each period; they are saved anyway, so that a loaded
// model is the saved one field for field.
#include <stdexcept>
#include <string>

#include "models/epstein/model.hpp"

namespace keepsim::epstein {
namespace {

constexpr std::int64_t kStateVersion = 1;

template <class Layer>
void put_layer(StateWriter& w, const std::string& name, const Layer& layer, std::int64_t cells) {
  std::vector<std::uint8_t> packed(static_cast<std::size_t>((cells + 7) / 8), 0);
  for (std::int64_t c = 0; c < cells; ++c)
    if (layer.test(c)) packed[static_cast<std::size_t>(c >> 3)] |= static_cast<std::uint8_t>(1u << (c & 7));
  w.put(name, packed);
}

/// Sets every cell of `layer` (as the constructor left it: padding bits keep their value) from the saved
/// bits.
template <class Layer>
void get_layer(const StateReader& r, const std::string& name, Layer& layer, std::int64_t cells) {
  const auto packed = r.get<std::uint8_t>(name, static_cast<std::size_t>((cells + 7) / 8));
  for (std::int64_t c = 0; c < cells; ++c)
    layer.assign(c, ((packed[static_cast<std::size_t>(c >> 3)] >> (c & 7)) & 1u) != 0);
}

}  // namespace

void EpsteinModel::save_state(StateWriter& w) const {
  w.put_string("model", "epstein");
  w.put("state_version", kStateVersion);
  w.put("period", period_);
  w.put("legitimacy", legitimacy_);
  w.put("cops_on_grid", cops_on_grid_);
  w.put("initial_cops", initial_cops_);
  w.put("events.arrests", events_.arrests);
  w.put("events.releases", events_.releases);
  w.put("events.births", events_.births);
  w.put("events.deaths_of_age", events_.deaths_of_age);
  w.put("events.killed", std::span<const std::int64_t>(events_.killed, 2));

  w.put("agents.kind", agents_.kind);
  w.put("agents.status", agents_.status);
  w.put("agents.group", agents_.group);
  w.put("agents.cell", agents_.cell);
  w.put("agents.hardship", agents_.hardship);
  w.put("agents.risk", agents_.risk);
  w.put("agents.jail_left", agents_.jail_left);
  w.put("agents.age", agents_.age);
  w.put("agents.death_age", agents_.death_age);

  const std::int64_t cells = grid_.cells();
  w.put("cells.code", code_);
  w.put("cells.occupant", occupant_);
  put_layer(w, "layer.cops", cops_, cells);
  put_layer(w, "layer.actives", actives_, cells);
  put_layer(w, "layer.empties", empties_, cells);
  put_layer(w, "layer.members0", members_[0], cells);
  put_layer(w, "layer.members1", members_[1], cells);
}

void EpsteinModel::load_state(const StateReader& r) {
  if (const std::string m = r.string("model"); m != "epstein")
    r.fail("holds the state of a '" + m + "' model, but its config is an Epstein run");
  if (const auto v = r.value<std::int64_t>("state_version"); v != kStateVersion)
    r.fail("Epstein state version " + std::to_string(v) + ", this keepsim reads " +
           std::to_string(kStateVersion));
  period_ = r.value<std::int64_t>("period");
  legitimacy_ = r.value<double>("legitimacy");
  cops_on_grid_ = r.value<std::int64_t>("cops_on_grid");
  initial_cops_ = r.value<std::int64_t>("initial_cops");
  events_.arrests = r.value<std::int64_t>("events.arrests");
  events_.releases = r.value<std::int64_t>("events.releases");
  events_.births = r.value<std::int64_t>("events.births");
  events_.deaths_of_age = r.value<std::int64_t>("events.deaths_of_age");
  r.get_into("events.killed", std::span<std::int64_t>(events_.killed, 2));

  agents_.kind = r.get<Kind>("agents.kind");
  const std::size_t n = agents_.kind.size();
  agents_.status = r.get<Status>("agents.status", n);
  agents_.group = r.get<std::uint8_t>("agents.group", n);
  agents_.cell = r.get<std::int32_t>("agents.cell", n);
  agents_.hardship = r.get<float>("agents.hardship", n);
  agents_.risk = r.get<float>("agents.risk", n);
  agents_.jail_left = r.get<std::int32_t>("agents.jail_left", n);
  // Ages are kept only when citizens die of age (Agents::ages, set from the config by the constructor).
  agents_.age = r.get<std::int32_t>("agents.age", agents_.ages ? n : 0);
  agents_.death_age = r.get<std::int32_t>("agents.death_age", agents_.ages ? n : 0);

  const std::int64_t cells = grid_.cells();
  const auto ucells = static_cast<std::size_t>(cells);
  code_ = r.get<std::uint8_t>("cells.code", ucells);
  occupant_ = r.get<std::int32_t>("cells.occupant", ucells);
  // Indices are checked before anything uses them, so a checkpoint written by another build cannot make the
  // model read out of bounds.
  for (std::size_t i = 0; i < n; ++i)
    if (agents_.cell[i] < -1 || agents_.cell[i] >= cells || agents_.group[i] > 1)
      r.fail("agent " + std::to_string(i) + " has a cell or group out of range");
  for (std::size_t c = 0; c < ucells; ++c)
    if (occupant_[c] < -1 || occupant_[c] >= static_cast<std::int64_t>(n))
      r.fail("cell " + std::to_string(c) + " has an occupant out of range");
  get_layer(r, "layer.cops", cops_, cells);
  get_layer(r, "layer.actives", actives_, cells);
  get_layer(r, "layer.empties", empties_, cells);
  get_layer(r, "layer.members0", members_[0], cells);
  get_layer(r, "layer.members1", members_[1], cells);
  try {
    check_invariants();
  } catch (const std::logic_error& e) {
    r.fail(std::string("inconsistent Epstein state: ") + e.what());
  }
}

}  // namespace keepsim::epstein
