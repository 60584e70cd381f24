// The shared test body of the reference oracle (models/epstein/reference.hpp, docs/epstein.md): a fast path
// and the plain reference run side by side from the same config and seed, and after every period they must
// hold the same agents (kind, status, group, cell, attributes, jail term, age) and record the same series,
// bit for bit. Every fast path (tests/models/test_reference.cpp) goes through this one body, so a new path
// (another schedule, another engine on the shared core) is checked by adding one line there.
#pragma once
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "epstein_helpers.hpp"
#include "keepsim/core/recorder.hpp"
#include "models/epstein/model.hpp"
#include "models/epstein/reference.hpp"
#include "models/peacekeeping/model.hpp"
#include "models/registry.hpp"

namespace keepsim::test {

/// One agent as every engine can report it.
struct AgentState {
  bool cop = false;
  int status = 0, group = 0, cell = -1;
  float hardship = 0, risk = 0;
  std::int32_t jail_left = 0, age = 0, death_age = 0;
  bool operator==(const AgentState&) const = default;
};

inline std::string describe(const AgentState& a) {
  std::ostringstream o;
  o << (a.cop ? "cop" : "citizen") << " status " << a.status << " group " << a.group << " cell " << a.cell
    << " H " << a.hardship << " R " << a.risk << " jail_left " << a.jail_left << " age " << a.age << "/"
    << a.death_age;
  return o.str();
}

inline std::vector<AgentState> states(const epstein::ReferenceModel& m) {
  std::vector<AgentState> out;
  for (const auto& a : m.agents())
    out.push_back({a.kind == epstein::Kind::Cop, static_cast<int>(a.status), a.group, a.cell, a.hardship,
                   a.risk, a.jail_left, a.age, a.death_age});
  return out;
}

/// The agents of a fast engine: the Epstein engine, or the peacekeeping engine, whose Epstein cops are
/// peacekeepers of no contingent.
template <class Agents>
std::vector<AgentState> states_of(const Agents& a, bool (*is_cop)(const Agents&, std::size_t)) {
  std::vector<AgentState> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    out[i] = {is_cop(a, i),
              static_cast<int>(a.status[i]),
              a.group[i],
              a.cell[i],
              a.hardship[i],
              a.risk[i],
              a.jail_left[i],
              a.age.empty() ? 0 : a.age[i],
              a.death_age.empty() ? 0 : a.death_age[i]};
  return out;
}

inline std::vector<AgentState> states(const Model& m) {
  if (const auto* e = dynamic_cast<const epstein::EpsteinModel*>(&m))
    return states_of<epstein::Agents>(
        e->agents(), [](const epstein::Agents& a, std::size_t i) { return a.kind[i] == epstein::Kind::Cop; });
  const auto* p = dynamic_cast<const peace::PeaceModel*>(&m);
  REQUIRE(p != nullptr);
  return states_of<peace::Agents>(p->agents(), [](const peace::Agents& a, std::size_t i) {
    return a.kind[i] == peace::Kind::Peacekeeper;
  });
}

/// The handle of series `name`, or false if the engine does not record it.
inline bool series(const Recorder& rec, const std::string& name, std::size_t& handle) {
  for (handle = 0; handle < rec.size(); ++handle)
    if (rec.spec(handle).name == name) return true;
  return false;
}

/// Element k (a group) of integer series h in the last row.
inline std::int64_t last_int(const Recorder& rec, std::size_t h, std::size_t k) {
  REQUIRE(k < rec.width(h));
  return rec.ints(h)[(rec.rows() - 1) * rec.width(h) + k];
}

/// Runs `model` ("epstein" or "peacekeeping") under `schedule` on `threads` threads next to the reference,
/// both built from the TOML layers `toml`, for `steps` periods, and requires them to agree after every one.
inline void check_against_reference(const std::string& toml, const std::string& model,
                                    const std::string& schedule, int threads, std::int64_t steps) {
  Params p = params_from(toml);
  p.set("model", std::string(model), "test");
  p.set("rules.schedule", std::string(schedule), "test");
  epstein::ReferenceModel ref(epstein::read_config(p));
  const auto fast = make_model(p, threads);
  Recorder rec;
  fast->declare(rec);
  const bool peace = model == "peacekeeping";
  for (std::int64_t t = 0; t <= steps; ++t) {
    if (t > 0) {
      fast->step();
      ref.step();
    }
    rec.begin_step(fast->period());
    fast->observe(rec);
    REQUIRE(fast->period() == ref.period());
    // The agents, one by one: the first difference is reported with its period and agent.
    const std::vector<AgentState> a = states(*fast), b = states(ref);
    INFO("period " << t);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!(a[i] == b[i]))
        FAIL("agent " << i << ": engine " << describe(a[i]) << ", reference " << describe(b[i]));
    // The recorded series the reference keeps; the peacekeeping engine records L as a mean over citizens.
    const epstein::ReferenceModel::Tally r = ref.tally();
    const std::pair<const char*, std::int64_t> want[] = {
        {"quiet", r.quiet},         {"active", r.active},
        {"jailed", r.jailed},       {"cops", r.cops},
        {"arrests", r.arrests},     {"releases", r.releases},
        {"births", r.births},       {"deaths_of_age", r.deaths_of_age},
        {"near_cops", r.near_cops}, {"active_near_cops", r.active_near_cops}};
    std::size_t h = 0;
    for (const auto& [name, value] : want) {
      INFO("series " << name);
      const bool optional = std::string(name).find("near_cops") != std::string::npos;  // output.cop_proximity
      if (series(rec, name, h))
        REQUIRE(last_int(rec, h, 0) == value);
      else
        REQUIRE(optional);
    }
    for (std::size_t g = 0; g < static_cast<std::size_t>(epstein::read_config(p).groups); ++g) {
      INFO("group " << g);
      REQUIRE(series(rec, "alive", h));
      REQUIRE(last_int(rec, h, g) == r.alive[g]);
      REQUIRE(series(rec, "killed", h));
      REQUIRE(last_int(rec, h, g) == r.killed[g]);
    }
    if (!peace) {
      REQUIRE(series(rec, "legitimacy", h));
      REQUIRE(rec.reals(h).back() == r.legitimacy);
    } else if (series(rec, "legitimacy_mean", h) && !std::isnan(rec.reals(h).back())) {
      // Approx's default relative epsilon (about 1e-5) would let a drift through: switched off.
      REQUIRE(rec.reals(h).back() == Approx(r.legitimacy).epsilon(0).margin(1e-12));
    }
  }
}

}  // namespace keepsim::test
