// ODD 7.2 and 7.3 the citizens' legitimacy and hardship as a component (mechanism.hpp): each day, after
// the releases (ODD 3 step 4) and before development and DDR (development.cpp, ddr.cpp), every citizen on
// the grid updates its own L_i and hardship, and the mission's M_i where it is kept apart (7.13,
// mission_legitimacy.hpp), in one parallel pass; then the aid fallback, and the day's aid flags are cleared.
// It is registered before development, the first of the other components that hook the social phase, so it
// runs where the model's social_day ran: every update happens in the old order, and it makes no random
// draw. The regional means of L_i are its state, saved under their old checkpoint name region.legitimacy.
#include "models/peacekeeping/legitimacy.hpp"

#include <algorithm>
#include <bit>

#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

// Bits of near_marks_: what a citizen on the cell sees of the day's sparse layers.
constexpr std::uint8_t kNearVictim[2] = {1, 2}, kNearRecent = 4, kNearAbuse = 8, kNearViolence = 16;

void declare(Schema&) {}  // its keys are the model's (legitimacy.hpp)

std::shared_ptr<const Mechanism> read(const Params&, const Config&) {
  return std::make_shared<Legitimacy>();
}

}  // namespace

// Marking every cell within v of each mark answers, for every cell at once, whether its vision holds a
// mark, when the relation is symmetric and each cell is met once: true for the symmetric shapes (Moore, von
// Neumann, Euclidean) on a bounded grid, and on a torus wider and taller than the vision.
bool spreads_exactly(const Grid& grid, const Vision& v) {
  const int r = v.reach();
  int widest = 0;
  for (int dy = -r; dy <= r; ++dy) {
    if (v.half_width(dy) != v.half_width(-dy)) return false;
    widest = std::max(widest, v.half_width(dy));
  }
  return grid.topology() == Topology::Bounded ||
         (2 * r + 1 <= grid.height() && 2 * widest + 1 <= grid.width());
}

// The marks are few (killings, abuse, fighters), so this costs their number times a vision instead of a
// vision per citizen.
void spread_marks(const Grid& grid, const BitLayer& layer, const Vision& v, bool centre, std::uint8_t bit,
                  std::vector<std::uint8_t>& flags) {
  const int w = grid.width(), h = grid.height(), words = layer.words_per_row();
  for (int y = 0; y < h; ++y) {
    const std::uint64_t* row = layer.row_words(y);
    for (int i = 0; i < words; ++i)
      for (std::uint64_t b = row[i]; b != 0; b &= b - 1) {
        const std::int64_t m = static_cast<std::int64_t>(y) * w + i * 64 + std::countr_zero(b);
        grid.for_each_span(m, v, [&](int yy, int x0, int x1, int skip) {
          std::uint8_t* cells = &flags[static_cast<std::size_t>(yy) * static_cast<std::size_t>(w)];
          for (int x = x0; x <= x1; ++x)
            if (x != skip) cells[x] |= bit;
        });
        if (centre) flags[static_cast<std::size_t>(m)] |= bit;
      }
  }
}

extern const MechanismType legitimacy_mechanism = {"legitimacy", &declare, &read, {}, {}};

void Legitimacy::init(PeaceModel& m) {
  const auto cells = static_cast<std::size_t>(m.grid().cells());
  near_marks_.assign(cells, 0);
  spread_fear_ = spreads_exactly(m.grid(), m.fear_vision());
  spread_vision_ = spreads_exactly(m.grid(), m.citizen_vision());
  region.assign(static_cast<std::size_t>(m.regions()), m.config().base.legitimacy);
}

void Legitimacy::run(Phase, PeaceModel& m) {
  const Config& cfg = m.config();
  const LegitimacyParams& L = cfg.legitimacy;
  const HardshipParams& H = cfg.hardship;
  Agents& a = agents(m);
  // Development and aid are registered after this component, so they are found here rather than at init.
  MissionLegitimacy* const ml = m.mechanism<MissionLegitimacy>();
  const AidConvoys& aid = *m.mechanism<AidConvoys>();
  const std::int64_t day = m.day();
  const bool present = m.mission_present();
  const bool separate = ml && ml->separate;  // ODD 7.13
  const bool watch = L.local || H.enabled || cfg.displacement.enabled;
  // Imposition (7.2, 7.13): a daily cost while the mission is present, or, with imposition_interval, one
  // imposed outcome (a decision taken over the heads of the people: a timetable, a constitution, a returns
  // programme) every so many days of its presence.
  double imposition_today = 0;
  if (present && cfg.mission.imposition > 0) {
    const std::int64_t every = cfg.mission.imposition_interval;
    if (every == 0) {
      imposition_today = cfg.mission.imposition;
    } else if (m.first_arrival() >= 0 && (day - m.first_arrival()) % every == every - 1) {
      imposition_today = cfg.mission.imposition * static_cast<double>(every);
      ++events(m).imposed;
    }
  }
  if (watch) {
    // Each citizen reads the layers around it and changes only its own state, so this runs in parallel and
    // gives the same result on any number of threads.
    const Grid& grid = m.grid();
    const VisionQuery& query = m.query();
    const Vision &citizen_vision = m.citizen_vision(), &fear_vision = m.fear_vision();
    const BitLayer &kill_today = m.killed_today(), &kill_recent = m.recent_killings(),
                   &abuse_today = m.abuse_today();
    const BitLayer* const victim_today[2] = {&m.victims_today(0), &m.victims_today(1)};
    const bool killings = kill_today.any(), recent = kill_recent.any(), abuse = abuse_today.any();
    const bool gov = L.gov_gain > 0 && m.constable_cells() > 0;
    // Whether a citizen's vision holds a mark of a sparse layer: read from near_marks_, spread from the marks
    // first, where that gives the same answer as counting the vision (spreads_exactly, decided at init);
    // the answers, and so the results, are the same either way.
    const bool spread_fear = spread_fear_, spread_vision = spread_vision_;
    if (spread_fear || spread_vision) {
      std::fill(near_marks_.begin(), near_marks_.end(), 0);
      if (killings && spread_fear)
        for (int g = 0; g < 2; ++g)
          spread_marks(grid, *victim_today[g], fear_vision, true, kNearVictim[g], near_marks_);
      if (L.local && recent && spread_vision)
        spread_marks(grid, kill_recent, citizen_vision, true, kNearRecent, near_marks_);
      if (L.local && abuse && spread_vision)
        spread_marks(grid, abuse_today, citizen_vision, false, kNearAbuse, near_marks_);
      if (H.enabled && killings && spread_vision)
        spread_marks(grid, kill_today, citizen_vision, true, kNearViolence, near_marks_);
    }
    // near(): the vision of `here` holds a mark of `layer` (or, with `centre`, `here` is one).
    auto near = [&](std::int32_t here, bool spread_ok, std::uint8_t bit, const BitLayer& layer,
                    const Vision& v, bool centre) {
      if (spread_ok) return (near_marks_[static_cast<std::size_t>(here)] & bit) != 0;
      return query.count(layer, here, v) > 0 || (centre && layer.test(here));
    };
    executor(m).for_each(a.size(), [&](std::size_t i) {
      if (a.kind[i] != Kind::Citizen || a.cell[i] < 0) return;
      const std::int32_t here = a.cell[i];
      const int g = a.group[i];
      const bool victimised =
          killings && near(here, spread_fear, kNearVictim[g], *victim_today[g], fear_vision, true);
      if (victimised) a.last_victim[i] = static_cast<std::int32_t>(day);
      const bool aided = a.aided[i] != 0;
      if (L.local) {
        const bool secure =
            !recent || !near(here, spread_vision, kNearRecent, kill_recent, citizen_vision, true);
        const bool abused =
            abuse && near(here, spread_vision, kNearAbuse, abuse_today, citizen_vision, false);
        double presence = 0;
        // The constables' and peacekeepers' queries read the model's members through m, one base pointer,
        // as the model's own pass did through this: fewer instructions than through captured references.
        if (gov)
          m.query().for_each(m.constable_layer(), here, m.citizen_vision(), [&](std::int64_t at) {
            const auto o = static_cast<std::size_t>(m.occupants()[static_cast<std::size_t>(at)]);
            if (!a.foreign[o]) presence += a.skill[o];
          });
        const double l = a.legitimacy[i];
        // Imposed outcomes cost the government's legitimacy (7.2) unless the mission's own is kept apart
        // (7.13), where they cost the mission's.
        const double imposed = present && !separate ? imposition_today : 0.0;
        const double next = l + L.secure_gain * secure - L.victim_loss * victimised -
                            L.imposition_loss * imposed - L.abuse_loss * abused + L.gov_gain * presence +
                            L.aid_gain * aided + L.relax * (a.legitimacy0[i] - l);
        a.legitimacy[i] = static_cast<float>(std::clamp(next, 0.0, 1.0));
        if (separate && present) {
          // ODD 7.13 (mission_legitimacy.hpp): the mission gains where it is seen delivering security, loses
          // with abuse it is near and with each imposed outcome, and relaxes toward its starting value.
          std::vector<float>& M = ml->value;
          const double mi = M[i];
          const bool seen = m.query().count(m.peacekeeper_layer(), here, m.citizen_vision()) > 0;
          const double nm = mi + ml->security_gain * (secure && seen) - L.abuse_loss * abused -
                            L.imposition_loss * imposition_today + L.relax * (ml->initial - mi);
          M[i] = static_cast<float>(std::clamp(nm, 0.0, 1.0));
        }
      }
      if (H.enabled) {
        const bool violence =
            killings && near(here, spread_vision, kNearViolence, kill_today, citizen_vision, true);
        const double base =
            a.base_hardship[i] * m.development(m.world().region[static_cast<std::size_t>(here)]);
        const double h = a.hardship[i];
        const double next =
            h + H.violence_gain * violence - aid.hardship_relief * aided + H.relax * (base - h);
        a.hardship[i] = static_cast<float>(std::clamp(next, 0.0, 1.0));
      }
    });
  }
  // Without the hardship rule, aid relieves hardship directly (7.7).
  if (aid.enabled && aid.hardship_relief > 0 && !H.enabled)
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a.aided[i]) a.hardship[i] = static_cast<float>(std::max(0.0, a.hardship[i] - aid.hardship_relief));
  std::fill(a.aided.begin(), a.aided.end(), 0);
}

void Legitimacy::save(StateWriter& w) const {
  w.put("region.legitimacy", region);
}

void Legitimacy::load(const StateReader& r, PeaceModel&) {
  region = r.get<double>("region.legitimacy", region.size());
}

}  // namespace keepsim::peace
