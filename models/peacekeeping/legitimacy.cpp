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
constexpr std::uint8_t kNearVictim[2] = {1, 2}, kNearRecent = 4, kNearAbuse = 8, kNearViolence = 16,
                       kNearPeacekeeper = 32;

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

// The marks are few (killings, abuse, fighters, peacekeepers), so this costs their number times a vision
// instead of a vision per citizen. Each band of rows clears its own flags and takes the marks of the rows
// within reach of it, keeping only the cells inside the band, so no two threads write one flag.
void spread_marks(Executor& exec, const Grid& grid, std::span<const Spread> spreads,
                  std::vector<std::uint8_t>& flags) {
  const int w = grid.width(), h = grid.height();
  const bool bounded = grid.topology() == Topology::Bounded;
  flags.resize(static_cast<std::size_t>(grid.cells()));
  constexpr int kBand = 32;
  const std::size_t bands = (static_cast<std::size_t>(h) + kBand - 1) / kBand;
  exec.for_ranges(bands, 1, [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b) {
      const int y0 = static_cast<int>(b) * kBand, y1 = std::min(h, y0 + kBand);
      std::fill(flags.begin() + static_cast<std::ptrdiff_t>(y0) * w,
                flags.begin() + static_cast<std::ptrdiff_t>(y1) * w, std::uint8_t{0});
      for (const Spread& s : spreads) {
        const int r = s.vision->reach(), words = s.layer->words_per_row();
        // The rows whose marks can reach the band (every row once where they would wrap onto themselves).
        const bool all = !bounded && y1 - y0 + 2 * r >= h;
        const int from = all ? 0 : y0 - r, to = all ? h : y1 + r;
        for (int yy = from; yy < to; ++yy) {
          if (bounded && (yy < 0 || yy >= h)) continue;
          const int y = (yy % h + h) % h;
          const std::uint64_t* row = s.layer->row_words(y);
          for (int i = 0; i < words; ++i)
            for (std::uint64_t bits = row[i]; bits != 0; bits &= bits - 1) {
              const std::int64_t m = static_cast<std::int64_t>(y) * w + i * 64 + std::countr_zero(bits);
              grid.for_each_span(m, *s.vision, [&](int ny, int x0, int x1, int skip) {
                if (ny < y0 || ny >= y1) return;
                std::uint8_t* cells = &flags[static_cast<std::size_t>(ny) * static_cast<std::size_t>(w)];
                for (int x = x0; x <= x1; ++x)
                  if (x != skip) cells[x] |= s.bit;
              });
              if (s.centre && y >= y0 && y < y1) flags[static_cast<std::size_t>(m)] |= s.bit;
            }
        }
      }
    }
  });
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
    // The mission's own legitimacy (7.13) asks whether a peacekeeper is in sight; peacekeepers are few too.
    const bool seen_pk = L.local && separate && present;
    if (spread_fear || spread_vision) {
      std::vector<Spread> spreads;
      if (killings && spread_fear)
        for (int g = 0; g < 2; ++g) spreads.push_back({victim_today[g], &fear_vision, true, kNearVictim[g]});
      if (L.local && recent && spread_vision)
        spreads.push_back({&kill_recent, &citizen_vision, true, kNearRecent});
      if (L.local && abuse && spread_vision)
        spreads.push_back({&abuse_today, &citizen_vision, false, kNearAbuse});
      if (H.enabled && killings && spread_vision)
        spreads.push_back({&kill_today, &citizen_vision, true, kNearViolence});
      if (seen_pk && spread_vision)
        spreads.push_back({&m.peacekeeper_layer(), &citizen_vision, false, kNearPeacekeeper});
      spread_marks(executor(m), grid, spreads, near_marks_);
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
          const bool seen =
              near(here, spread_vision, kNearPeacekeeper, m.peacekeeper_layer(), citizen_vision, false);
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
