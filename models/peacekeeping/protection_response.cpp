// ODD 7.8 "Response to attacks" as a component (mechanism.hpp): the keys, the daily dispatch of patrols
// toward the day's killings of civilians by fighters, the fighters' expectation of it, two series and the
// checkpoint fields. How a patrol under way moves is in act.cpp (task_move), and where a fighter holds back
// is in act.cpp (choose_attack), both read through PeaceModel's pointer to this class.
#include "models/peacekeeping/protection_response.hpp"

#include <atomic>
#include <cstdlib>
#include <limits>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

constexpr SeriesDef kSeries[] = {
    {"responses",
     "killings of civilians by fighters answered by a mission patrol (sent there, or in sight already)",
     "1/day", DType::Int64, nullptr},
    {"responses_feared",
     "killings of civilians that fighters chose not to make for fear of a mission patrol within reach "
     "(mission.response_deters)",
     "1/day", DType::Int64, nullptr},
};

void declare(Schema& s) {
  s.add(real_param("mission.response_probability", 0, "1", 0, 1,
                   "chance that a killing of a civilian by fighters brings the nearest mission patrol of "
                   "its region there (ODD 7.8)"));
  s.add(bool_param("mission.response_deters", false,
                   "fighters expect the response: one about to kill a civilian within reach of a free patrol "
                   "holds back with probability mission.response_probability (ODD 7.8)"));
}

std::shared_ptr<const Mechanism> read(const Params& p, const Config& c) {
  auto m = std::make_shared<ProtectionResponse>();
  m->probability = c.mission.enabled ? p.get_real("mission.response_probability") : 0.0;
  m->expire_days = c.mission.retask_days;
  m->deters = p.get_bool("mission.response_deters");
  if (c.mission.enabled)
    for (const Contingent& k : c.mission.contingents) m->units += k.size;
  // A patrol sent the day after the killing has the site in sight once it is within its vision, and moves
  // at most its vision a day: it can reach a site this far away while the killer is still exposed (7.5).
  const double reach = c.mission.vision * static_cast<double>(c.spoilers.exposed_days + 1);
  m->reach2 = reach * reach;
  return m;
}

}  // namespace

// Its key follows mission.use_of_force in the schema (params.cpp): the two say how the mission uses force.
extern const MechanismType protection_response_mechanism = {
    "protection_response", &declare, &read, kSeries, {}, "mission.use_of_force"};

namespace {
// A patrol may answer a call: a mission soldier on the grid, on duty today, on presence.
bool is_patrol(const Agents& a, std::size_t i) {
  return is_mission_soldier(a, i) && a.cell[i] >= 0 && a.on_duty[i] && a.task[i] == kPresence;
}
}  // namespace

bool ProtectionResponse::free_patrol(const Agents& a, std::size_t i) const {
  // One the dispatch may send: a patrol not already on its way to a killing.
  return is_patrol(a, i) && site_of(static_cast<std::uint32_t>(i)) < 0;
}

void ProtectionResponse::run(Phase p, PeaceModel& m) {
  if (p == Phase::BeforeAgents)
    index_patrols(m);
  else
    dispatch(m);
}

void ProtectionResponse::index_patrols(const PeaceModel& m) {
  forgone_ = 0;
  patrols_.clear();
  if (!deters || probability <= 0) return;
  const Agents& a = m.agents();
  const std::vector<std::uint16_t>& regions = m.world().region;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (free_patrol(a, i)) patrols_.emplace_back(regions[static_cast<std::size_t>(a.cell[i])], a.cell[i]);
  std::sort(patrols_.begin(), patrols_.end());
}

bool ProtectionResponse::forgoes_near(const PeaceModel& m, std::int32_t site, std::size_t id) const {
  // Fjelde, Hultman and Nilsson (2019): a mission near enough to answer raises the cost of a killing. The
  // fighter expects what the mission does: the response comes from a free patrol of the site's region
  // (dispatch), with the mission's own probability.
  const auto region = m.world().region[static_cast<std::size_t>(site)];
  const auto first = std::lower_bound(patrols_.begin(), patrols_.end(), std::pair{region, std::int32_t{-1}});
  bool near = false;
  for (auto it = first; it != patrols_.end() && it->first == region && !near; ++it)
    near = static_cast<double>(m.grid().distance2(it->second, site)) <= reach2;
  if (!near) return false;
  Stream s(m.config().base.seed, kAnticipate, id, static_cast<std::uint64_t>(m.day()));
  if (!s.bernoulli(probability)) return false;
  std::atomic_ref<std::int64_t>(forgone_).fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ProtectionResponse::dispatch(PeaceModel& m) {
  answered_today_ = 0;
  if (probability <= 0) return;
  const Agents& a = m.agents();
  const Grid& g = m.grid();
  const Vision& sight = m.mission_vision();
  const std::int64_t day = m.day();
  // Responses end when the patrol has the site in sight, when it is no longer a patrol (retasked, gone,
  // dead) and after retask_days, when the mission's own tasking has had its say.
  std::erase_if(sent_, [&](const Sent& s) {
    return !is_patrol(a, s.unit) || g.sees(a.cell[s.unit], s.site, sight) || day - s.day >= expire_days;
  });
  if (incidents_.empty()) return;
  // The day's calls in cell order (the order kill() saw them in depends on the schedule), one per cell.
  std::sort(incidents_.begin(), incidents_.end());
  incidents_.erase(std::unique(incidents_.begin(), incidents_.end()), incidents_.end());
  std::vector<std::uint32_t> free;  // patrols not already under way, in id order
  for (std::size_t i = 0; i < a.size(); ++i)
    if (free_patrol(a, i)) free.push_back(static_cast<std::uint32_t>(i));
  const std::uint64_t seed = m.config().base.seed;
  for (const std::int32_t c : incidents_) {
    Stream s(seed, kRespond, static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(day));
    if (!s.bernoulli(probability)) continue;
    // The nearest free patrol in the killing's region (ties: the lowest id).
    const std::vector<std::uint16_t>& regions = m.world().region;
    const auto region = regions[static_cast<std::size_t>(c)];
    std::size_t best = free.size();
    std::int64_t best_d = std::numeric_limits<std::int64_t>::max();
    for (std::size_t k = 0; k < free.size(); ++k) {
      const std::int32_t at = a.cell[free[k]];
      if (regions[static_cast<std::size_t>(at)] != region) continue;
      const std::int64_t d = g.distance2(at, c);
      if (d < best_d) best_d = d, best = k;
    }
    if (best == free.size()) continue;
    ++answered_today_;
    const std::uint32_t unit = free[best];
    if (g.sees(a.cell[unit], c, sight)) continue;  // it has the site in sight already: there is nowhere to go
    free.erase(free.begin() + static_cast<std::ptrdiff_t>(best));
    sent_.insert(std::lower_bound(sent_.begin(), sent_.end(), unit,
                                  [](const Sent& x, std::uint32_t v) { return x.unit < v; }),
                 Sent{unit, c, day});
  }
  incidents_.clear();
}

void ProtectionResponse::observe(const PeaceModel&, Recorder& rec) const {
  put(rec, 0, answered_today_);
  put(rec, 1, forgone_);
}

void ProtectionResponse::save(StateWriter& w) const {
  std::vector<std::int64_t> flat;
  for (const Sent& s : sent_) flat.insert(flat.end(), {std::int64_t{s.unit}, std::int64_t{s.site}, s.day});
  w.put("protection_response.sent", flat);
  w.put("protection_response.answered_today", answered_today_);
}

void ProtectionResponse::load(const StateReader& r, PeaceModel& m) {
  sent_.clear();
  incidents_.clear();  // a checkpoint is taken between days, after the dispatch
  answered_today_ = r.value<std::int64_t>("protection_response.answered_today");
  const std::vector<std::int64_t> flat = r.get<std::int64_t>("protection_response.sent");
  if (flat.size() % 3 != 0) throw CheckpointError("protection_response.sent: length is not a multiple of 3");
  const auto agents = static_cast<std::int64_t>(m.agents().size());
  for (std::size_t k = 0; k < flat.size(); k += 3) {
    if (flat[k] < 0 || flat[k] >= agents || flat[k + 1] < 0 || flat[k + 1] >= m.grid().cells() ||
        (k > 0 && flat[k] <= flat[k - 3]))
      throw CheckpointError("protection_response.sent: a unit id or cell out of range, or ids out of order");
    sent_.push_back(
        {static_cast<std::uint32_t>(flat[k]), static_cast<std::int32_t>(flat[k + 1]), flat[k + 2]});
  }
}

}  // namespace keepsim::peace
