// The registration list of the peacekeeping model's mechanisms (docs/design.md, "Mechanisms as
// components"), and what every mechanism shares: the column helpers of Mechanism and the widths of series
// dimensions. A mechanism file defines `extern const MechanismType NAME_mechanism`; its line below is all
// the rest of the model needs to know of it.
#include <cstring>
#include <stdexcept>
#include <string>

#include "models/peacekeeping/mechanism.hpp"
#include "models/peacekeeping/model.hpp"

// One line per mechanism. The order is the order of their hooks within a phase, of their series after the
// model's own in the run file, and of their parameters in the schema; it is part of the results.
#define KEEPSIM_PEACE_MECHANISMS(X)                                                                        \
  X(violence_memory)     /* ODD 7.2, 7.8 the memory of violence (violence_memory.cpp) */                   \
  X(mission_layer)       /* ODD 7.8, 7.10 the mission layer (mission_layer.cpp) */                         \
  X(control)             /* ODD 7.15 territorial control and the zones of violence (control.cpp) */        \
  X(refugees)            /* ODD 7.16 refuge abroad (refugees.cpp) */                                       \
  X(constabulary)        /* ODD 7.9 constabulary and international police (constabulary.cpp) */            \
  X(mission_legitimacy)  /* ODD 7.13 the mission's popular legitimacy M_i (mission_legitimacy.cpp) */      \
  X(security_dilemma)    /* ODD 7.17 arming for protection, an excluded group (security_dilemma.cpp) */    \
  X(legitimacy)          /* ODD 7.2, 7.3 citizens' legitimacy and hardship (legitimacy.cpp) */             \
  X(development)         /* ODD 7.3 regional development, the baseline of hardship (development.cpp) */    \
  X(justice)             /* ODD 7.4 jail capacity, catch and release, credibility (justice.cpp) */         \
  X(arms_supply)         /* ODD 7.5 arms stocks, over the border, interdiction (arms_supply.cpp) */        \
  X(ddr)                 /* ODD 7.5 demobilisation and rearming of fighters (ddr.cpp) */                   \
  X(returns)             /* ODD 7.6, 7.16 the return of the displaced and of refugees (returns.cpp) */     \
  X(aid_convoys)         /* ODD 7.7 aid convoys from depots to towns, escorts (aid_convoys.cpp) */         \
  X(protection_response) /* ODD 7.8 patrols sent toward killings of civilians (protection_response.cpp) */ \
  X(participation_cost)  /* ODD 7.18 the cost of keeping up open defiance (participation_cost.cpp) */      \
  X(riot_precipitants)   /* ODD 7.19 riots that follow precipitating events (riot_precipitants.cpp) */     \
  X(settlement)          /* ODD 7.20 a settlement on day 0 that demobilises fighters (settlement.cpp) */

namespace keepsim::peace {

#define KEEPSIM_DECLARE_MECHANISM(name) extern const MechanismType name##_mechanism;
KEEPSIM_PEACE_MECHANISMS(KEEPSIM_DECLARE_MECHANISM)
#undef KEEPSIM_DECLARE_MECHANISM

namespace {
#define KEEPSIM_LIST_MECHANISM(name) &name##_mechanism,
const MechanismType* const kTypes[] = {KEEPSIM_PEACE_MECHANISMS(KEEPSIM_LIST_MECHANISM)};
#undef KEEPSIM_LIST_MECHANISM
}  // namespace

std::span<const MechanismType* const> mechanism_types() {
  return kTypes;
}

void declare_mechanism_params(Schema& schema, const char* after) {
  for (const MechanismType* t : kTypes) {
    const bool here = after == nullptr
                          ? t->schema_after == nullptr
                          : t->schema_after != nullptr && std::strcmp(t->schema_after, after) == 0;
    if (here) t->declare_params(schema);
  }
}

std::vector<Coordinate> series_dimensions(int groups) {
  std::vector<std::int64_t> group_values(static_cast<std::size_t>(groups));
  for (std::size_t g = 0; g < group_values.size(); ++g) group_values[g] = static_cast<std::int64_t>(g);
  std::vector<std::int64_t> contingents(kMaxContingents);
  for (int c = 0; c < kMaxContingents; ++c) contingents[static_cast<std::size_t>(c)] = c + 1;
  std::vector<std::int64_t> arresters(kArresters);
  for (int a = 0; a < kArresters; ++a) arresters[static_cast<std::size_t>(a)] = a;
  std::vector<std::int64_t> factions(kFactions);
  for (int f = 0; f < kFactions; ++f) factions[static_cast<std::size_t>(f)] = f;
  return {{"group", group_values, "citizen group"},
          {"faction", factions, "spoiler faction: 0 militia of group 0, 1 militia of group 1, 2 bandits"},
          {"decile", {10, 20, 30, 40, 50, 60, 70, 80, 90}, "percentile"},
          {"contingent", contingents, "contingent number (contingents.cN)"},
          {"arrester", arresters,
           "who made an arrest: 0 Epstein cops, 1 mission soldiers, 2 domestic constables, 3 international "
           "police"},
          {"zone",
           {1, 2, 3, 4, 5},
           "zone of control (ODD 7.15): 1 full incumbent, 2 dominant incumbent, 3 contested, 4 dominant "
           "insurgent, 5 full insurgent"}};
}

std::size_t dim_width(const char* dim, int groups) {
  if (dim == nullptr) return 1;
  for (const Coordinate& c : series_dimensions(groups))
    if (c.name == dim) return c.values.size();
  throw std::logic_error("unknown series dimension " + std::string(dim));
}

Agents& Mechanism::agents(PeaceModel& m) {
  return m.agents_;
}

Events& Mechanism::events(PeaceModel& m) {
  return m.events_;
}

void Mechanism::refresh(PeaceModel& m, std::size_t id) {
  m.refresh(id);
}

void Mechanism::join_militia(PeaceModel& m, std::size_t id, int group) {
  m.join_militia(id, group);
}

void Mechanism::place(PeaceModel& m, std::size_t id, std::int32_t c) {
  m.place(id, c);
}

void Mechanism::vacate(PeaceModel& m, std::size_t id) {
  m.vacate(id);
}

void Mechanism::leave(PeaceModel& m, std::size_t id) {
  Agents& a = m.agents_;
  if (a.kind[id] != Kind::Peacekeeper && !a.foreign[id]) ++m.left_people_;  // as population() counts people
  a.status[id] = Status::Dead;                                              // no longer in the simulation
  m.vacate(id);
}

std::int32_t Mechanism::empty_cell_near(const PeaceModel& m, std::int32_t centre, double radius, Stream& s) {
  return m.empty_cell_near(centre, radius, s);
}

Executor& Mechanism::executor(PeaceModel& m) {
  return *m.exec_;
}

std::vector<std::int64_t>& Mechanism::cell_sums(PeaceModel& m) {
  return m.skill_in_sight_;
}

namespace {
// A column of n agents with room for as many as populate() made room for in the built-in ones, filled and
// listed so that Agents::add grows it with them.
template <class T>
void attach(Agents& a, std::vector<T>& column, T fill, std::vector<std::pair<std::vector<T>*, T>>& list) {
  column.reserve(a.kind.capacity());
  column.resize(a.size(), fill);
  list.emplace_back(&column, fill);
}
}  // namespace

void Mechanism::attach_column(PeaceModel& m, std::vector<float>& column, float fill) {
  attach(m.agents_, column, fill, m.agents_.extra_f32);
}

void Mechanism::attach_column(PeaceModel& m, std::vector<std::uint8_t>& column, std::uint8_t fill) {
  attach(m.agents_, column, fill, m.agents_.extra_u8);
}

void Mechanism::attach_column(PeaceModel& m, std::vector<std::int32_t>& column, std::int32_t fill) {
  attach(m.agents_, column, fill, m.agents_.extra_i32);
}

}  // namespace keepsim::peace
