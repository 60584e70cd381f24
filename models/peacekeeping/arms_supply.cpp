// ODD 7.5 arms supply as a component (mechanism.hpp): the arms.* keys, each faction's stock, the daily
// inflow over the border less interdiction, unarmed fighters arming from the stock, and the checkpoint
// fields. Its series (arms_stock, arms_inflow, arms_interdicted) stay among the model's own (observe.cpp).
#include "models/peacekeeping/arms_supply.hpp"

#include <algorithm>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

void declare(Schema& s) {
  s.add(real_param("arms.border_rate", 0, "arms/day", 0, 1e6, "arms coming in over the border"));
  s.add(real_param("arms.interdiction_per_unit", 10, "cells", 0, 1e6,
                   "border cells one security unit on the border closes"));
  s.add(real_param("arms.initial", 0, "arms", 0, 1e9, "arms in each faction's stock at day 0"));
  // Read by recruitment, which is still the model's (params.hpp SpoilerParams::arms_half_saturation);
  // declared here so that the arms keys stay together.
  s.add(real_param("arms.half_saturation", 10, "arms", 1e-9, 1e9,
                   "stock at which a faction's arms availability is 1/2 (recruitment scales with it)"));
  s.add(real_param("arms.convoy_loot", 0, "arms", 0, 1e6, "arms gained by raiding one convoy"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<ArmsSupply>();
  m->spoilers = c.spoilers.enabled;
  m->border_rate = p.get_real("arms.border_rate");
  m->interdiction_per_unit = p.get_real("arms.interdiction_per_unit");
  m->initial = p.get_real("arms.initial");
  m->convoy_loot = p.get_real("arms.convoy_loot");
  return m;
}

}  // namespace

// Its keys keep their place in the schema, at the end of the model's spoiler keys (ODD 7.5).
extern const MechanismType arms_supply_mechanism = {"arms_supply", &declare, &read, {}, {}, "spoilers"};

void ArmsSupply::init(PeaceModel&) {
  std::fill(std::begin(stock), std::end(stock), spoilers ? initial : 0.0);
}

void ArmsSupply::run(Phase, PeaceModel& m) {
  if (!spoilers) return;
  Agents& a = agents(m);
  Events& e = events(m);
  // The living fighters and the security units on the grid, in id order, listed in parallel: the passes
  // below then visit only them (every agent's kind was read one by one on one thread).
  std::vector<std::uint32_t>&fighters = fighters_, &units = units_;
  executor(m).ids_where(
      a.size(), [&](std::size_t i) { return a.kind[i] == Kind::Spoiler && a.status[i] != Status::Dead; },
      fighters);
  std::int64_t members[kFactions] = {0, 0, 0};
  for (const std::uint32_t i : fighters) ++members[a.faction[i]];
  const std::int64_t spoilers_alive = members[0] + members[1] + members[2];
  const auto& border = m.world().border;
  const std::size_t border_cells = m.border_cells().size();
  if (border_rate > 0 && border_cells > 0) {
    // Security units on or next to border cells close interdiction_per_unit border cells each.
    const Vision neighbours(Metric::Moore, 1.0);
    executor(m).ids_where(
        a.size(),
        [&](std::size_t i) {
          return a.cell[i] >= 0 && (a.kind[i] == Kind::Peacekeeper || a.kind[i] == Kind::Constable);
        },
        units);
    std::int64_t guards = 0;
    for (const std::uint32_t i : units) {
      const std::int32_t c = a.cell[i];
      bool near = border[static_cast<std::size_t>(c)] != 0;
      if (!near)
        m.grid().for_each_in(
            c, neighbours, [&](std::int64_t n) { near = near || border[static_cast<std::size_t>(n)] != 0; });
      guards += near;
    }
    const double closed = std::min(
        1.0, static_cast<double>(guards) * interdiction_per_unit / static_cast<double>(border_cells));
    e.arms_interdicted = border_rate * closed;
    e.arms_inflow = border_rate - e.arms_interdicted;
    if (spoilers_alive > 0)
      for (int f = 0; f < kFactions; ++f)
        stock[f] += e.arms_inflow * static_cast<double>(members[f]) / static_cast<double>(spoilers_alive);
  }
  // Unarmed fighters take arms from their faction's stock, in id order.
  for (const std::uint32_t i : fighters) {
    if (a.armed[i] || stock[a.faction[i]] < 1) continue;
    stock[a.faction[i]] -= 1;
    a.armed[i] = 1;
    refresh(m, i);
  }
}

void ArmsSupply::save(StateWriter& w) const {
  w.put("arms", std::span<const double>(stock, kFactions));
  w.put("arms_credit", 0.0);  // no longer used; kept so that the checkpoint's fields stay as they were
}

void ArmsSupply::load(const StateReader& r, PeaceModel&) {
  r.get_into("arms", std::span<double>(stock, kFactions));
  (void)r.value<double>("arms_credit");
}

}  // namespace keepsim::peace
