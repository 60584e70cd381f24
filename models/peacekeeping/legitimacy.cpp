// ODD 7.2 and 7.3 the citizens' legitimacy and hardship as a component (mechanism.hpp): each day, after
// the releases (ODD 3 step 4) and before development and DDR (development.cpp, ddr.cpp), every citizen on
// the grid updates its own L_i and hardship, and the mission's M_i where it is kept apart (7.13,
// mission_legitimacy.hpp), in one parallel pass; then the aid fallback, and the day's aid flags are cleared.
// It is registered before development, the first of the other components that hook the social phase, so it
// runs where the model's social_day ran: every update happens in the old order, and it makes no random
// draw. The regional means of L_i are its state, saved under their old checkpoint name region.legitimacy.
#include "models/peacekeeping/legitimacy.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <functional>

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

namespace {

constexpr int kBand = 32;  ///< rows per band of the spreads

// For every set cell m of `layer` whose vision `v` reaches rows [y0, y1): span(m, row, x0, x1, skip) for each
// span of m's vision inside the band (the cells row * width + x, x in [x0, x1], except x == skip, which is m
// itself or -1), and centre(m) when m is inside the band. The set cells of the rows within reach of the band
// are visited; where those rows would wrap onto themselves on a torus, every row is visited once instead.
// spreads_exactly guarantees that a vision meets each cell at most once, so each pair comes once.
template <class Span, class Centre>
void spread_into_band(const Grid& grid, const BitLayer& layer, const Vision& v, int y0, int y1, Span&& span,
                      Centre&& centre) {
  const int w = grid.width(), h = grid.height(), r = v.reach(), words = layer.words_per_row();
  const bool bounded = grid.topology() == Topology::Bounded;
  const bool all = !bounded && y1 - y0 + 2 * r >= h;
  const int from = all ? 0 : y0 - r, to = all ? h : y1 + r;
  for (int yy = from; yy < to; ++yy) {
    if (bounded && (yy < 0 || yy >= h)) continue;
    const int y = (yy % h + h) % h;
    const std::uint64_t* row = layer.row_words(y);
    for (int i = 0; i < words; ++i)
      for (std::uint64_t bits = row[i]; bits != 0; bits &= bits - 1) {
        const std::int64_t m = static_cast<std::int64_t>(y) * w + i * 64 + std::countr_zero(bits);
        grid.for_each_span(m, v, [&](int ny, int x0, int x1, int skip) {
          if (ny >= y0 && ny < y1)
            span(m, static_cast<std::size_t>(ny) * static_cast<std::size_t>(w), x0, x1, skip);
        });
        if (y >= y0 && y < y1) centre(static_cast<std::size_t>(m));
      }
  }
}

// Clears rows [y0, y1) of `cells` (one entry per cell) and calls f(band, y0, y1) for every band of kBand
// rows, bands in parallel: a band writes only its own rows, so no two threads write one entry and the result
// does not depend on the number of threads.
template <class T, class F>
void each_band(Executor& exec, const Grid& grid, std::vector<T>& cells, F&& f) {
  const int w = grid.width(), h = grid.height();
  cells.resize(static_cast<std::size_t>(grid.cells()));
  const std::size_t bands = (static_cast<std::size_t>(h) + kBand - 1) / kBand;
  exec.for_ranges(bands, 1, [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b) {
      const int y0 = static_cast<int>(b) * kBand, y1 = std::min(h, y0 + kBand);
      std::fill(cells.begin() + static_cast<std::ptrdiff_t>(y0) * w,
                cells.begin() + static_cast<std::ptrdiff_t>(y1) * w, T{0});
      f(b, y0, y1);
    }
  });
}

}  // namespace

// The marks are few (killings, abuse, fighters, peacekeepers), so this costs their number times a vision
// instead of a vision per citizen. Each band of rows clears its own flags and takes the marks of the rows
// within reach of it, keeping only the cells inside the band, so no two threads write one flag.
void spread_marks(Executor& exec, const Grid& grid, std::span<const Spread> spreads,
                  std::vector<std::uint8_t>& flags) {
  each_band(exec, grid, flags, [&](std::size_t, int y0, int y1) {
    for (const Spread& sp : spreads)
      spread_into_band(
          grid, *sp.layer, *sp.vision, y0, y1,
          [&](std::int64_t, std::size_t row, int x0, int x1, int skip) {
            std::uint8_t* cells = &flags[row];
            for (int x = x0; x <= x1; ++x)
              if (x != skip) cells[x] |= sp.bit;
          },
          [&](std::size_t c) {
            if (sp.centre) flags[c] |= sp.bit;
          });
  });
}

bool spread_skill_sums(Executor& exec, const Grid& grid, const BitLayer& layer, const Vision& v, double start,
                       const std::function<float(std::int64_t)>& skill, std::vector<std::int64_t>& sums) {
  // A float of at least 2^-22 is a whole number of 2^-45 (its last bit is worth 2^-45 or more), and a sum
  // below 2^8 of whole numbers of 2^-45 needs at most 53 bits: every partial sum of such values is exact, in
  // double, in any order, and equals the integer sum of the skills in units of 2^-45. Any other skill (or a
  // sum that could reach 2^8) makes the answer false, and the caller sums as before.
  const std::size_t bands = (static_cast<std::size_t>(grid.height()) + kBand - 1) / kBand;
  std::vector<float> largest(bands, 0.0f);
  std::atomic<bool> exact{true};
  each_band(exec, grid, sums, [&](std::size_t b, int y0, int y1) {
    std::int64_t last = -1, q = 0;  // a set cell's spans come one after another
    spread_into_band(
        grid, layer, v, y0, y1,
        [&](std::int64_t m, std::size_t row, int x0, int x1, int skip) {
          if (m != last) {
            last = m;
            const float s = skill(m);
            if (!(s >= 0) || (s > 0 && s < 0x1p-22f)) exact.store(false, std::memory_order_relaxed);
            largest[b] = std::max(largest[b], s);
            q = static_cast<std::int64_t>(static_cast<double>(s) * 0x1p45);
          }
          if (q == 0) return;
          std::int64_t* cells = &sums[row];
          for (int x = x0; x <= x1; ++x) cells[x] += q;
          if (skip >= 0) cells[skip] -= q;
        },
        [](std::size_t) {});
  });
  const double most = largest.empty() ? 0.0 : *std::max_element(largest.begin(), largest.end());
  return exact.load() && start + (v.size() + 1) * most < 0x1p8;
}

bool spread_counts(Executor& exec, const Grid& grid, const BitLayer& layer, const Vision& v,
                   std::vector<std::uint8_t>& counts) {
  // Each set cell adds one to the cells of its vision, so a count is at most the vision's size; counting in
  // bytes is exact below 256, and the additions wrap harmlessly on the way (a span's skipped cell is added
  // and taken back).
  if (v.size() > 255) {
    counts.clear();
    return false;
  }
  each_band(exec, grid, counts, [&](std::size_t, int y0, int y1) {
    spread_into_band(
        grid, layer, v, y0, y1,
        [&](std::int64_t, std::size_t row, int x0, int x1, int skip) {
          std::uint8_t* cells = &counts[row];
          for (int x = x0; x <= x1; ++x) ++cells[x];
          if (skip >= 0) --cells[skip];
        },
        [](std::size_t) {});
  });
  return true;
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
    // The government's presence (7.2): its own constables' skills in sight, summed once from the constables
    // where that gives the same sum to the bit (spread_skill_sums), else walked by every citizen below.
    const Agents& ca = a;
    std::vector<std::int64_t>& skill_sums = cell_sums(m);
    const bool spread_presence =
        gov && spread_vision &&
        spread_skill_sums(
            executor(m), grid, m.constable_layer(), citizen_vision, 0.0,
            [&](std::int64_t c) {
              const auto o = static_cast<std::size_t>(m.occupants()[static_cast<std::size_t>(c)]);
              return ca.foreign[o] ? 0.0f : ca.skill[o];
            },
            skill_sums);
    // near(): the vision of `here` holds a mark of `layer` (or, with `centre`, `here` is one).
    const std::uint8_t* const marks = near_marks_.data();
    auto near = [&query, marks](std::int32_t here, bool spread_ok, std::uint8_t bit, const BitLayer& layer,
                                const Vision& v, bool centre) {
      if (spread_ok) return (marks[static_cast<std::size_t>(here)] & bit) != 0;
      return query.count(layer, here, v) > 0 || (centre && layer.test(here));
    };
    // The day's constants, copied into each range's own locals: read through the closure's references,
    // they were loaded again for every citizen (callgrind). The sums below are the same expressions in the
    // same order, so the results are the same to the bit.
    struct Day {
      double secure_gain, victim_loss, imposition_loss, abuse_loss, gov_gain, aid_gain, relax;
      double imposed, imposition_today, violence_gain, hardship_relief, hardship_relax;
      bool killings, recent, abuse, gov, local, hardship, spread_fear, spread_vision, spread_presence,
          mission;
    };
    const Day day_consts{L.secure_gain, L.victim_loss, L.imposition_loss, L.abuse_loss, L.gov_gain,
                         L.aid_gain, L.relax,
                         // Imposed outcomes cost the government's legitimacy (7.2) unless the mission's own
                         // is kept apart (7.13), where they cost the mission's.
                         present && !separate ? imposition_today : 0.0, imposition_today, H.violence_gain,
                         aid.hardship_relief, H.relax, killings, recent, abuse, gov, L.local, H.enabled,
                         spread_fear, spread_vision, spread_presence, separate && present};
    const auto the_day = static_cast<std::int32_t>(day);
    executor(m).for_ranges(a.size(), 1024, [&, day_consts](std::size_t i0, std::size_t i1) {
      const Day d = day_consts;
      const Kind* const kind = a.kind.data();
      const std::int32_t* const cell = a.cell.data();
      for (std::size_t i = i0; i < i1; ++i) {
        if (kind[i] != Kind::Citizen || cell[i] < 0) continue;
        const std::int32_t here = cell[i];
        const int g = a.group[i];
        const bool victimised =
            d.killings && near(here, d.spread_fear, kNearVictim[g], *victim_today[g], fear_vision, true);
        if (victimised) a.last_victim[i] = the_day;
        const bool aided = a.aided[i] != 0;
        if (d.local) {
          const bool secure =
              !d.recent || !near(here, d.spread_vision, kNearRecent, kill_recent, citizen_vision, true);
          const bool abused =
              d.abuse && near(here, d.spread_vision, kNearAbuse, abuse_today, citizen_vision, false);
          double presence = 0;
          // The constables' and peacekeepers' queries read the model's members through m, one base
          // pointer, as the model's own pass did through this: fewer instructions than through captured
          // references.
          if (d.spread_presence)
            presence = static_cast<double>(skill_sums[static_cast<std::size_t>(here)]) * 0x1p-45;
          else if (d.gov)
            m.query().for_each(m.constable_layer(), here, m.citizen_vision(), [&](std::int64_t at) {
              const auto o = static_cast<std::size_t>(m.occupants()[static_cast<std::size_t>(at)]);
              if (!a.foreign[o]) presence += a.skill[o];
            });
          const double l = a.legitimacy[i];
          const double next = l + d.secure_gain * secure - d.victim_loss * victimised -
                              d.imposition_loss * d.imposed - d.abuse_loss * abused + d.gov_gain * presence +
                              d.aid_gain * aided + d.relax * (a.legitimacy0[i] - l);
          a.legitimacy[i] = static_cast<float>(std::clamp(next, 0.0, 1.0));
          if (d.mission) {
            // ODD 7.13 (mission_legitimacy.hpp): the mission gains where it is seen delivering security,
            // loses with abuse it is near and with each imposed outcome, and relaxes toward its starting
            // value.
            std::vector<float>& M = ml->value;
            const double mi = M[i];
            const bool seen =
                near(here, d.spread_vision, kNearPeacekeeper, m.peacekeeper_layer(), citizen_vision, false);
            const double nm = mi + ml->security_gain * (secure && seen) - d.abuse_loss * abused -
                              d.imposition_loss * d.imposition_today + d.relax * (ml->initial - mi);
            M[i] = static_cast<float>(std::clamp(nm, 0.0, 1.0));
          }
        }
        if (d.hardship) {
          const bool violence =
              d.killings && near(here, d.spread_vision, kNearViolence, kill_today, citizen_vision, true);
          const double base =
              a.base_hardship[i] * m.development(m.world().region[static_cast<std::size_t>(here)]);
          const double h = a.hardship[i];
          const double next =
              h + d.violence_gain * violence - d.hardship_relief * aided + d.hardship_relax * (base - h);
          a.hardship[i] = static_cast<float>(std::clamp(next, 0.0, 1.0));
        }
      }
    });
    // The array keeps its size; the model's decisions read it only on the days their own spread set
    // skill_spread_ (act_sync.cpp), so the sums left here are never taken for theirs.
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
