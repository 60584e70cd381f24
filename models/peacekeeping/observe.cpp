// What a peacekeeping run records (ODD 10): daily series, maps every N days, and the run summary.
// `keepsim describe --outputs` prints the same names and meanings from output_catalogue().
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "models/memory.hpp"
#include "models/peacekeeping/model.hpp"

namespace keepsim::peace {
namespace {

// The model's own series; the mechanisms' follow (mechanism.hpp). The order here is the order in the file.
// Index = handle slot in PeaceModel::h_.
constexpr SeriesDef kSeries[] = {
    {"quiet", "citizens on the grid and quiet", "1", DType::Int64, nullptr},
    {"active", "citizens on the grid and active (rioting)", "1", DType::Int64, nullptr},
    {"jailed", "people in jail (the jail population)", "1", DType::Int64, nullptr},
    {"cops", "security units on the grid: peacekeepers and constables", "1", DType::Int64, nullptr},
    {"alive", "living citizens (on the grid or in jail), by group", "1", DType::Int64, "group"},
    {"killed", "civilians killed in the day, by the victim's group", "1", DType::Int64, "group"},
    {"population", "living inhabitants: citizens, spoilers and domestic constables", "1", DType::Int64,
     nullptr},
    {"displaced", "citizens on the grid away from home (displacement.definition)", "1", DType::Int64,
     nullptr},
    {"civilians_killed", "civilians killed in the day", "1", DType::Int64, nullptr},
    {"civilians_killed_by_spoilers", "civilians killed by militias and bandits in the day", "1", DType::Int64,
     nullptr},
    {"civilians_killed_by_citizens", "civilians killed by citizens of the other group (Model II)", "1",
     DType::Int64, nullptr},
    {"civilians_killed_by_security", "civilians killed by lethal riot responses", "1", DType::Int64, nullptr},
    {"spoilers_killed", "spoilers killed in the day", "1", DType::Int64, nullptr},
    {"peacekeepers_killed", "peacekeepers killed in the day", "1", DType::Int64, nullptr},
    {"constables_killed", "constables and international police killed in the day", "1", DType::Int64,
     nullptr},
    {"arrests", "arrests in the day", "1", DType::Int64, nullptr},
    {"arrests_by", "arrests in the day (engagement captures included), by who made them", "1", DType::Int64,
     "arrester"},
    {"releases", "releases from jail in the day", "1", DType::Int64, nullptr},
    {"early_releases", "arrests that met a full jail (catch and release) in the day", "1", DType::Int64,
     nullptr},
    {"births", "citizens born (cloned) in the day", "1", DType::Int64, nullptr},
    {"deaths_of_age", "people who died of age in the day", "1", DType::Int64, nullptr},
    {"legitimacy_mean", "mean legitimacy perceived by citizens on the grid", "1", DType::Float64, nullptr},
    {"legitimacy_decile", "deciles 10..90 of legitimacy over citizens on the grid", "1", DType::Float64,
     "decile"},
    {"hardship_mean", "mean hardship of citizens on the grid", "1", DType::Float64, nullptr},
    {"spoilers_armed", "armed spoilers on the grid, by faction", "1", DType::Int64, "faction"},
    {"spoilers_unarmed", "unarmed spoilers on the grid, by faction", "1", DType::Int64, "faction"},
    {"arms_stock", "arms in each faction's stock", "1", DType::Float64, "faction"},
    {"recruits", "citizens recruited by militias in the day", "1", DType::Int64, nullptr},
    {"demobilised", "fighters demobilised in the day (DDR)", "1", DType::Int64, nullptr},
    {"rearmed", "demobilised fighters who rearmed in the day", "1", DType::Int64, nullptr},
    {"arms_inflow", "arms that came over the border in the day", "1", DType::Float64, nullptr},
    {"arms_interdicted", "arms stopped at the border in the day", "1", DType::Float64, nullptr},
    {"convoys_sent", "aid convoys sent in the day", "1", DType::Int64, nullptr},
    {"convoys_delivered", "aid convoys delivered in the day", "1", DType::Int64, nullptr},
    {"convoys_raided", "aid convoys raided in the day", "1", DType::Int64, nullptr},
    {"installation_attacks", "successful attacks on installations in the day", "1", DType::Int64, nullptr},
    {"constables", "domestic constables", "1", DType::Int64, nullptr},
    {"constable_skill", "mean skill of domestic constables (NaN when there are none)", "1", DType::Float64,
     nullptr},
    {"police", "international civilian police present", "1", DType::Int64, nullptr},
    {"new_constables", "constables recruited in the day", "1", DType::Int64, nullptr},
    {"defections", "constables who defected in the day", "1", DType::Int64, nullptr},
    {"peacekeepers", "mission peacekeepers present", "1", DType::Int64, nullptr},
    {"peacekeepers_on_duty", "mission peacekeepers following the mission's tasking today", "1", DType::Int64,
     nullptr},
    {"contingent_present", "peacekeepers present, by contingent", "1", DType::Int64, "contingent"},
    {"political_will", "political will W of the intervening side", "1", DType::Float64, nullptr},
    {"mission_phase", "0 not started, 1 deploying, 2 operating, 3 drawing down, 4 left", "1", DType::Int64,
     nullptr},
    {"secure_share", "share of cells with no killing within citizen vision for K days", "1", DType::Float64,
     nullptr},
    {"lethal_uses", "lethal riot responses in the day", "1", DType::Int64, nullptr},
    {"withdrawals", "units that withdrew from a riot in the day", "1", DType::Int64, nullptr},
    // ODD 7.12-7.16.
    {"civilian_death_rate", "civilians killed in the day, as an annual rate per 100,000 inhabitants",
     "1/100000/year", DType::Float64, nullptr},
    {"imposed_outcomes", "outcomes the mission imposed in the day", "1", DType::Int64, nullptr},
    {"spoilers_captured", "armed spoilers captured by security units in the day", "1", DType::Int64, nullptr},
    {"killings_selective", "civilians killed selectively (denounced collaborators) in the day", "1",
     DType::Int64, nullptr},
    {"killings_indiscriminate", "civilians of the other group killed at random by militias in the day", "1",
     DType::Int64, nullptr},
    {"rival_killings", "fighters killed by a rival armed group in the day", "1", DType::Int64, nullptr},
    {"uprooted",
     "citizens whose flight in the day took them from home: away from it (displacement.definition) "
     "or abroad",
     "1", DType::Int64, nullptr},
};
constexpr std::size_t kNumSeries = sizeof kSeries / sizeof kSeries[0];
static_assert(kNumSeries <= 64);

std::size_t slot(const char* name) {
  for (std::size_t i = 0; i < kNumSeries; ++i)
    if (std::string_view(kSeries[i].name) == name) return i;
  return kNumSeries;
}

constexpr SummaryDef kSummaries[] = {
    {"summary_civilian_deaths", "civilians killed over the run", "1"},
    {"summary_peak_active", "most active citizens on one day", "1"},
    {"summary_peak_displaced", "most displaced citizens on one day", "1"},
    {"summary_stable_security_day", "first day of M calm days in a row (NaN: never)", "d"},
    {"summary_mission_duration", "days from first arrival to departure or run end (NaN: no mission)", "d"},
    {"summary_peacekeeper_casualties", "peacekeepers killed over the run", "1"},
    {"summary_constable_casualties", "constables and police killed over the run", "1"},
    {"summary_troop_days", "sum over days of peacekeepers present", "d"},
    {"summary_killings_before_exit", "killings in the Y days before the mission left (NaN: it did not leave)",
     "1"},
    {"summary_killings_after_exit", "killings in the Y days after the mission left (NaN: fewer days ran)",
     "1"},
    {"summary_relapse", "killings after exit / max(1, killings before exit) (NaN: not measurable)", "1"},
    {"summary_final_legitimacy", "mean legitimacy on the last day", "1"},
    {"summary_constables_per_1000", "domestic constables per 1000 inhabitants on the last day", "1/1000"},
    // ODD 7.12: the run in people and in rates, for comparison with real cases.
    {"summary_people", "inhabitants at day 0, in people (agents x scale.people_per_agent)", "people"},
    {"summary_civilian_death_rate", "civilians killed per 100,000 inhabitants per year, over the run",
     "1/100000/year"},
    {"summary_killing_rate", "people killed (anyone) per 100,000 inhabitants per year, over the run",
     "1/100000/year"},
    {"summary_arrest_rate", "arrests per 100,000 inhabitants per year, over the run", "1/100000/year"},
    {"summary_mean_active_share", "mean share of citizens on the grid who are active", "1"},
    {"summary_peak_refugees", "most citizens abroad on one day", "1"},
    {"summary_peak_uprooted_share", "most citizens displaced or abroad on one day, as a share of inhabitants",
     "1"},
    {"summary_uprooted_per_killed", "most displaced or abroad on one day / civilians killed over the run",
     "1"},
    {"summary_peak_security_per_1000",
     "most security personnel (peacekeepers, police, constables) on one day per 1000 inhabitants", "1/1000"},
    {"summary_selective_share", "share of militia killings of civilians that were selective (NaN: none)",
     "1"},
    // ODD 7.12: the burn-in's war, for comparison with a case's record before its mission (NaN without one).
    {"summary_burn_in_killing_rate",
     "people killed (anyone) per 100,000 inhabitants per year over the burn-in (NaN: no burn-in)",
     "1/100000/year"},
    {"summary_burn_in_civilian_death_rate",
     "civilians killed per 100,000 inhabitants per year over the burn-in (NaN: no burn-in)", "1/100000/year"},
    {"summary_burn_in_peak_uprooted", "most citizens displaced or abroad on one day of the burn-in", "1"},
    {"summary_uprooted_per_killed_with_burn_in",
     "most displaced or abroad on one day of the burn-in or the run / civilians killed over both", "1"},
};

}  // namespace

std::vector<std::pair<std::string, std::string>> output_catalogue() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : kSeries)
    out.emplace_back(s.name, std::string(s.long_name) + " [" + s.units + "] (step" +
                                 (s.dim ? std::string(", ") + s.dim : "") + ")");
  for (const MechanismType* t : mechanism_types())
    for (const auto& s : t->series)
      out.emplace_back(s.name, std::string(s.long_name) + " [" + s.units + "] (step" +
                                   (s.dim ? std::string(", ") + s.dim : "") + ")");
  for (const auto& s : kSummaries)
    out.emplace_back(s.name, std::string(s.long_name) + " [" + s.units + "] (scalar)");
  for (const MechanismType* t : mechanism_types())
    for (const auto& s : t->summaries)
      out.emplace_back(s.name, std::string(s.long_name) + " [" + s.units + "] (scalar)");
  out.emplace_back("map_occupancy", "what each cell holds, see flag_meanings (snapshot, y, x)");
  out.emplace_back("map_killings", "killings in each cell since the previous snapshot (snapshot, y, x)");
  out.emplace_back("map_legitimacy",
                   "legitimacy of the citizen in each cell, NaN elsewhere (snapshot, y, x)");
  out.emplace_back("map_control",
                   "incumbent share of armed presence in each cell, 1 where control is off (snapshot, y, x)");
  out.emplace_back("map_displaced",
                   "1 where the cell holds a citizen outside its home region (snapshot, y, x)");
  out.emplace_back("map_installations", "installation in each cell, see flag_meanings (snapshot, y, x)");
  return out;
}

std::size_t series_width(int groups) {
  std::size_t total = 0;
  for (const auto& s : kSeries) total += dim_width(s.dim, groups);
  for (const MechanismType* t : mechanism_types())
    for (const auto& s : t->series) total += dim_width(s.dim, groups);
  return total;
}

Recorder::Handle PeaceModel::series_handle(std::string_view name) const {
  if (const std::size_t i = slot(std::string(name).c_str()); i < kNumSeries) return h_[i];
  const auto types = mechanism_types();
  for (std::size_t k = 0; k < types.size(); ++k)
    for (std::size_t j = 0; j < types[k]->series.size(); ++j)
      if (name == types[k]->series[j].name) return mechanisms_[k]->handles.at(j);
  throw std::logic_error("no series " + std::string(name));
}

std::vector<Coordinate> PeaceModel::coordinates() const {
  return series_dimensions(cfg_.base.groups);
}

void PeaceModel::declare(Recorder& rec) {
  for (std::size_t i = 0; i < kNumSeries; ++i) {
    const SeriesDef& s = kSeries[i];
    std::vector<std::string> dims{"step"};
    if (s.dim) dims.emplace_back(s.dim);
    h_[i] = rec.add({s.name, s.long_name, s.units, s.dtype, dims, {}}, dim_width(s.dim, cfg_.base.groups));
  }
  const auto types = mechanism_types();
  for (std::size_t k = 0; k < types.size(); ++k) {
    mechanisms_[k]->handles.clear();
    for (const SeriesDef& s : types[k]->series) {
      std::vector<std::string> dims{"step"};
      if (s.dim) dims.emplace_back(s.dim);
      mechanisms_[k]->handles.push_back(
          rec.add({s.name, s.long_name, s.units, s.dtype, dims, {}}, dim_width(s.dim, cfg_.base.groups)));
    }
  }
}

namespace {

/// The 0.001-wide bin of a legitimacy in [0, 1]: std::lround(l * 1000), without the call into libm that
/// lround is (1.3 % of a 408 x 408 run, perf). For v = l * 1000 >= 0, v - trunc(v) is exact, and lround
/// rounds a fraction of one half or more up, so the bin is the same to the last case.
inline std::size_t histogram_bin(double l) {
  const double v = l * 1000;
  if (!(v >= 0)) return static_cast<std::size_t>(std::lround(v));  // never for a legitimacy in [0, 1]
  auto bin = static_cast<std::size_t>(v);
  if (v - static_cast<double>(bin) >= 0.5) ++bin;
  return bin;
}

}  // namespace

void PeaceModel::tally_agents(std::size_t i0, std::size_t i1, AgentTally& t) const {
  // observe()'s counts over agents [i0, i1); population() counts the same people.
  for (std::size_t i = i0; i < i1; ++i) {
    if (agents_.status[i] == Status::Dead) continue;
    const std::int32_t c = agents_.cell[i];
    t.people += agents_.kind[i] != Kind::Peacekeeper && !agents_.foreign[i];
    switch (agents_.kind[i]) {
      case Kind::Citizen:
        if (agents_.status[i] == Status::Jailed) {
          ++t.jailed;
        } else if (abroad(i)) {
          // counted by the refugees mechanism
        } else {
          agents_.status[i] == Status::Active ? ++t.active : ++t.quiet;
          ++t.histogram[histogram_bin(legitimacy_of(i))];
          if (c >= 0 && agents_.home[i] >= 0 && displaced_at(c, agents_.home[i])) ++t.displaced;
        }
        ++t.alive[agents_.group[i]];
        break;
      case Kind::Spoiler:
        if (c >= 0) (agents_.armed[i] ? t.armed : t.unarmed)[agents_.faction[i]]++;
        break;
      case Kind::Peacekeeper:
        if (is_mission_soldier(agents_, i)) {
          ++t.pk;
          t.on_duty += agents_.on_duty[i];
          ++t.present[agents_.contingent[i]];
        }
        t.security += c >= 0;
        break;
      case Kind::Constable:
        t.security += c >= 0;
        ++(agents_.foreign[i] ? t.police : t.constables);
        break;
    }
  }
}

void AgentTally::add(const AgentTally& o) {
  quiet += o.quiet;
  active += o.active;
  jailed += o.jailed;
  security += o.security;
  displaced += o.displaced;
  constables += o.constables;
  police += o.police;
  pk += o.pk;
  on_duty += o.on_duty;
  people += o.people;
  for (int k = 0; k < 2; ++k) alive[k] += o.alive[k];
  for (int k = 0; k < 3; ++k) {
    armed[k] += o.armed[k];
    unarmed[k] += o.unarmed[k];
  }
  for (int k = 0; k < kMaxContingents; ++k) present[k] += o.present[k];
  for (std::size_t k = 0; k < histogram.size(); ++k) histogram[k] += o.histogram[k];
}

std::int64_t PeaceModel::secure_cells() const {
  // Cells with no recent killing within the citizens' vision reach (a square window, clipped at the edges;
  // on a torus this undercounts killings across the seam: a small bias). Bands of rows are counted in
  // parallel: each row's flags become "a killing within reach along the row" by a prefix sum, and a column
  // sum over the 2r+1 rows around each cell, kept sliding down the band, says whether the square holds one.
  // Integer counts throughout, so the share is exact and the same on any number of threads.
  const int w = grid_.width(), h = grid_.height(), r = citizen_vision_.reach();
  constexpr int kBand = 64;
  const std::size_t bands = (static_cast<std::size_t>(h) + kBand - 1) / kBand;
  std::vector<std::int64_t> ok(bands, 0);
  const BitLayer& recent = violence_->recent();
  exec_->for_ranges(bands, 1, [&](std::size_t b0, std::size_t b1) {
    std::vector<std::uint32_t> prefix(static_cast<std::size_t>(w) + 1);
    std::vector<std::uint8_t> near;  // rows [lo, hi): a killing within reach along the row
    std::vector<std::uint16_t> column(static_cast<std::size_t>(w));
    for (std::size_t b = b0; b < b1; ++b) {
      const int ya = static_cast<int>(b) * kBand, yb = std::min(h, ya + kBand);
      const int lo = std::max(0, ya - r), hi = std::min(h, yb + r);
      near.assign(static_cast<std::size_t>(hi - lo) * static_cast<std::size_t>(w), 0);
      for (int y = lo; y < hi; ++y) {
        // A row without a recent killing (the layer's bit is set exactly where the count is above 0) has
        // nothing within reach along it: its flags stay 0. Killings are few, so most rows are skipped.
        const std::uint64_t* bits = recent.row_words(y);
        if (std::all_of(bits, bits + recent.words_per_row(), [](std::uint64_t v) { return v == 0; }))
          continue;
        const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
        for (int x = 0; x < w; ++x)
          prefix[static_cast<std::size_t>(x) + 1] =
              prefix[static_cast<std::size_t>(x)] + (recent.test(static_cast<std::int64_t>(row) + x) ? 1 : 0);
        std::uint8_t* out = &near[static_cast<std::size_t>(y - lo) * static_cast<std::size_t>(w)];
        for (int x = 0; x < w; ++x)
          out[x] = prefix[static_cast<std::size_t>(std::min(w, x + r + 1))] !=
                   prefix[static_cast<std::size_t>(std::max(0, x - r))];
      }
      const auto add_row = [&](int y, int sign) {
        const std::uint8_t* in = &near[static_cast<std::size_t>(y - lo) * static_cast<std::size_t>(w)];
        for (int x = 0; x < w; ++x)
          column[static_cast<std::size_t>(x)] =
              static_cast<std::uint16_t>(column[static_cast<std::size_t>(x)] + sign * in[x]);
      };
      std::fill(column.begin(), column.end(), std::uint16_t{0});
      for (int y = lo; y < std::min(h, ya + r + 1); ++y) add_row(y, +1);
      std::int64_t count = 0;
      for (int y = ya; y < yb; ++y) {
        for (int x = 0; x < w; ++x) count += column[static_cast<std::size_t>(x)] == 0;
        if (y - r >= lo) add_row(y - r, -1);
        if (y + r + 1 < hi) add_row(y + r + 1, +1);
      }
      ok[b] = count;
    }
  });
  return std::accumulate(ok.begin(), ok.end(), std::int64_t{0});
}

void PeaceModel::observe(Recorder& rec) {
  // The counts come from one parallel pass over fixed blocks of agents, whose integer tallies add up the same
  // in any order; the three floating-point sums (legitimacy, hardship, constable skill) stay in one pass in
  // id order, so the means are the same to the bit on any number of threads and as they always were.
  constexpr std::size_t kBlock = 65536;
  const std::size_t n = agents_.size(), blocks = (n + kBlock - 1) / kBlock;
  std::vector<AgentTally> part(blocks);
  double legit = 0, hard = 0, skill = 0;
  const auto sums = [&] {
    for (std::size_t i = 0; i < n; ++i) {
      if (agents_.status[i] == Status::Dead || agents_.status[i] == Status::Jailed) continue;
      if (agents_.kind[i] == Kind::Citizen) {
        if (abroad(i)) continue;
        legit += legitimacy_of(i);
        hard += agents_.hardship[i];
      } else if (agents_.kind[i] == Kind::Constable && !agents_.foreign[i]) {
        skill += agents_.skill[i];
      }
    }
  };
  // Task 0 is the pass of the sums, the others the blocks' tallies: on two threads or more the one pass that
  // must stay in id order runs beside the tallies instead of after them.
  exec_->for_ranges(blocks + 1, 1, [&](std::size_t b0, std::size_t b1) {
    for (std::size_t b = b0; b < b1; ++b)
      if (b == 0)
        sums();
      else
        tally_agents((b - 1) * kBlock, std::min(n, b * kBlock), part[b - 1]);
  });
  AgentTally t;
  for (const AgentTally& p : part) t.add(p);
  const std::int64_t quiet = t.quiet, active = t.active, jailed = t.jailed, security = t.security,
                     displaced = t.displaced, constables = t.constables, police = t.police, pk = t.pk,
                     on_duty = t.on_duty;
  const std::int64_t *alive = t.alive, *armed = t.armed, *unarmed = t.unarmed, *present = t.present;
  const auto n_cit = static_cast<double>(quiet + active);
  const std::vector<std::int64_t>& histogram = t.histogram;
  // Deciles from a 0.001-wide histogram: exact enough for a series, and linear in the number of agents.
  double deciles[9];
  {
    std::int64_t seen = 0;
    std::size_t bin = 0;
    const auto total = static_cast<std::int64_t>(n_cit);
    for (int d = 0; d < 9; ++d) {
      const auto want = static_cast<std::int64_t>(std::ceil((d + 1) * 0.1 * static_cast<double>(total)));
      while (bin < histogram.size() && seen + histogram[bin] < want) seen += histogram[bin++];
      deciles[d] = total > 0 ? static_cast<double>(std::min<std::size_t>(bin, 1000)) / 1000.0 : std::nan("");
    }
  }
  const double secure = violence_->recent().any()
                            ? static_cast<double>(secure_cells()) / static_cast<double>(grid_.cells())
                            : 1.0;
  auto put = [&](const char* name, auto value) { rec.put(h_[slot(name)], value); };
  const auto groups = static_cast<std::size_t>(cfg_.base.groups);
  put("quiet", quiet);
  put("active", active);
  put("jailed", jailed);
  put("cops", security);
  put("alive", std::span<const std::int64_t>(alive, groups));
  put("killed", std::span<const std::int64_t>(events_.killed, groups));
  put("population", t.people);
  put("displaced", displaced);
  put("civilians_killed", events_.killed[0] + events_.killed[1]);
  put("civilians_killed_by_spoilers", events_.civ_by_spoilers);
  put("civilians_killed_by_citizens", events_.civ_by_citizens);
  put("civilians_killed_by_security", events_.civ_by_security);
  put("spoilers_killed", events_.spoilers_killed);
  put("peacekeepers_killed", events_.peacekeepers_killed);
  put("constables_killed", events_.constables_killed);
  put("arrests", events_.arrests);
  put("arrests_by", std::span<const std::int64_t>(events_.arrests_by, kArresters));
  put("releases", events_.releases);
  put("early_releases", events_.early_releases);
  put("births", events_.births);
  put("deaths_of_age", events_.deaths_of_age);
  put("legitimacy_mean", n_cit > 0 ? legit / n_cit : std::nan(""));
  put("legitimacy_decile", std::span<const double>(deciles, 9));
  put("hardship_mean", n_cit > 0 ? hard / n_cit : std::nan(""));
  put("spoilers_armed", std::span<const std::int64_t>(armed, 3));
  put("spoilers_unarmed", std::span<const std::int64_t>(unarmed, 3));
  put("arms_stock", std::span<const double>(arms_, 3));
  put("recruits", events_.recruits);
  put("demobilised", events_.demobilised);
  put("rearmed", events_.rearmed);
  put("arms_inflow", events_.arms_inflow);
  put("arms_interdicted", events_.arms_interdicted);
  put("convoys_sent", events_.convoys_sent);
  put("convoys_delivered", events_.convoys_delivered);
  put("convoys_raided", events_.convoys_raided);
  put("installation_attacks", events_.installation_attacks);
  put("constables", constables);
  put("constable_skill", constables > 0 ? skill / static_cast<double>(constables) : std::nan(""));
  put("police", police);
  put("new_constables", events_.new_constables);
  put("defections", events_.defections);
  put("peacekeepers", pk);
  put("peacekeepers_on_duty", on_duty);
  put("contingent_present", std::span<const std::int64_t>(present, kMaxContingents));
  put("political_will", cfg_.mission.enabled ? will() : std::nan(""));
  put("mission_phase", static_cast<std::int64_t>(phase()));
  put("secure_share", secure);
  put("lethal_uses", events_.lethal_uses);
  put("withdrawals", events_.withdrawals);
  const std::int64_t people = t.people;
  put("civilian_death_rate", 365.0 * 1e5 * static_cast<double>(events_.killed[0] + events_.killed[1]) /
                                 static_cast<double>(std::max<std::int64_t>(1, people)));
  put("imposed_outcomes", events_.imposed);
  put("spoilers_captured", events_.spoilers_captured);
  put("killings_selective", events_.selective);
  put("killings_indiscriminate", events_.indiscriminate);
  put("rival_killings", events_.rival_killings);
  put("uprooted", events_.uprooted);
  for (const auto& m : mechanisms_) m->observe(*this, rec);
}

std::vector<Scalar> PeaceModel::summary(const Recorder& rec) const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto ints = [&](const char* name) { return rec.ints(series_handle(name)); };
  auto sum = [](std::span<const std::int64_t> v) {
    std::int64_t s = 0;
    for (const auto x : v) s += x;
    return s;
  };
  auto peak = [](std::span<const std::int64_t> v) {
    return v.empty() ? std::int64_t{0} : *std::max_element(v.begin(), v.end());
  };
  const std::size_t rows = rec.rows();
  // Killings of anyone, a day at a time, and the calm days (ODD 10 and 7.11).
  std::vector<std::int64_t> killings(rows, 0);
  for (const char* name :
       {"civilians_killed", "spoilers_killed", "peacekeepers_killed", "constables_killed"}) {
    const auto v = ints(name);
    for (std::size_t t = 0; t < rows; ++t) killings[t] += v[t];
  }
  const auto pop = ints("population");
  double stable = nan;
  std::int64_t run = 0;
  std::vector<std::int64_t> daily(killings.begin() + (rows > 0 ? 1 : 0), killings.end());  // from day 1
  for (std::size_t t = 1; t < rows; ++t) {
    const double rate = calm_rate(daily, t, cfg_.calm_window, pop[t]);
    run = rate < cfg_.killing_threshold ? run + 1 : 0;
    if (run == cfg_.stable_days) {
      stable = static_cast<double>(t) - static_cast<double>(cfg_.stable_days) + 1;
      break;
    }
  }
  const auto phase = ints("mission_phase");
  std::int64_t first = -1, left = -1;
  for (std::size_t t = 0; t < rows; ++t) {
    if (first < 0 && phase[t] >= 1) first = static_cast<std::int64_t>(t);
    if (left < 0 && phase[t] == 4) left = static_cast<std::int64_t>(t);
  }
  const double duration =
      first < 0 ? nan : static_cast<double>((left >= 0 ? left : static_cast<std::int64_t>(rows) - 1) - first);
  double before = nan, after = nan, relapse = nan;
  if (left >= 0) {
    const std::int64_t y = cfg_.relapse_days;
    std::int64_t b = 0, a = 0;
    for (std::int64_t t = std::max<std::int64_t>(1, left - y); t < left; ++t)
      b += killings[static_cast<std::size_t>(t)];
    before = static_cast<double>(b);
    if (left + y < static_cast<std::int64_t>(rows)) {
      for (std::int64_t t = left + 1; t <= left + y; ++t) a += killings[static_cast<std::size_t>(t)];
      after = static_cast<double>(a);
      relapse = after / std::max(1.0, before);
    }
  }
  const auto legit = rec.reals(h_[slot("legitimacy_mean")]);
  const auto constables = ints("constables");
  const double values[] = {
      static_cast<double>(sum(ints("civilians_killed"))),
      static_cast<double>(peak(ints("active"))),
      static_cast<double>(peak(ints("displaced"))),
      stable,
      duration,
      static_cast<double>(sum(ints("peacekeepers_killed"))),
      static_cast<double>(sum(ints("constables_killed"))),
      static_cast<double>(sum(ints("peacekeepers"))),
      before,
      after,
      relapse,
      legit.empty() ? nan : legit.back(),
      rows == 0 ? nan
                : 1000.0 * static_cast<double>(constables.back()) /
                      static_cast<double>(std::max<std::int64_t>(1, pop.back())),
  };
  // ODD 7.12: rates per 100,000 inhabitants per year over the recorded days, on the mean population.
  double pop_mean = 0;
  for (std::size_t t = 0; t < rows; ++t) pop_mean += static_cast<double>(pop[t]);
  pop_mean = rows > 0 ? pop_mean / static_cast<double>(rows) : nan;
  const double years = rows > 1 ? static_cast<double>(rows - 1) / 365.0 : nan;
  auto annual_rate = [&](double count) { return 1e5 * count / std::max(1.0, pop_mean) / years; };
  const auto act = ints("active"), qu = ints("quiet"), disp = ints("displaced"), refu = ints("refugees");
  double share = 0;
  for (std::size_t t = 1; t < rows; ++t)
    share += static_cast<double>(act[t]) / std::max<double>(1.0, static_cast<double>(act[t] + qu[t]));
  share = rows > 1 ? share / static_cast<double>(rows - 1) : nan;
  double uprooted = 0;
  for (std::size_t t = 0; t < rows; ++t)
    uprooted = std::max(uprooted, static_cast<double>(disp[t] + refu[t]) /
                                      std::max<double>(1.0, static_cast<double>(pop[t])));
  double peak_uprooted = 0;
  for (std::size_t t = 0; t < rows; ++t) peak_uprooted = std::max(peak_uprooted, double(disp[t] + refu[t]));
  const auto pks = ints("peacekeepers"), cops = ints("cops");
  double security = 0;
  for (std::size_t t = 0; t < rows; ++t)
    security = std::max(security, 1000.0 * static_cast<double>(std::max(pks[t], cops[t])) /
                                      std::max<double>(1.0, static_cast<double>(pop[t])));
  const double civilian = static_cast<double>(sum(ints("civilians_killed")));
  const double selective = static_cast<double>(sum(ints("killings_selective"))),
               random = static_cast<double>(sum(ints("killings_indiscriminate")));
  const double more[] = {
      rows > 0 ? static_cast<double>(pop[0]) * cfg_.people_per_agent : nan,
      annual_rate(civilian),
      annual_rate(static_cast<double>(
          std::accumulate(killings.begin() + (rows > 0 ? 1 : 0), killings.end(), std::int64_t{0}))),
      annual_rate(static_cast<double>(sum(ints("arrests")))),
      share,
      static_cast<double>(peak(refu)),
      uprooted,
      peak_uprooted / std::max(1.0, civilian),
      security,
      selective + random > 0 ? selective / (selective + random) : nan,
      burn_in_.days > 0 ? 365e5 * static_cast<double>(burn_in_.killings) / std::max(1.0, burn_in_.agent_days)
                        : nan,
      burn_in_.days > 0
          ? 365e5 * static_cast<double>(burn_in_.civilians_killed) / std::max(1.0, burn_in_.agent_days)
          : nan,
      static_cast<double>(burn_in_.peak_uprooted),
      std::max(peak_uprooted, static_cast<double>(burn_in_.peak_uprooted)) /
          std::max(1.0, civilian + static_cast<double>(burn_in_.civilians_killed)),
  };
  std::vector<Scalar> out;
  for (std::size_t i = 0; i < std::size(kSummaries); ++i) {
    if (i >= std::size(values)) {
      const SummaryDef& s = kSummaries[i];
      out.push_back({{s.name, s.long_name, s.units, DType::Float64, {}, {}}, more[i - std::size(values)]});
      continue;
    }
    const SummaryDef& s = kSummaries[i];
    const bool count = i < 3 || (i >= 5 && i <= 7);
    if (count)
      out.push_back(
          {{s.name, s.long_name, s.units, DType::Int64, {}, {}}, static_cast<std::int64_t>(values[i])});
    else
      out.push_back({{s.name, s.long_name, s.units, DType::Float64, {}, {}}, values[i]});
  }
  const auto types = mechanism_types();
  for (std::size_t k = 0; k < types.size(); ++k) {
    const std::vector<AttrValue> v = mechanisms_[k]->summary(*this, rec);
    if (v.size() != types[k]->summaries.size())
      throw std::logic_error(std::string("mechanism ") + types[k]->name +
                             " gave the wrong number of summaries");
    for (std::size_t i = 0; i < v.size(); ++i) {
      const SummaryDef& s = types[k]->summaries[i];
      const DType t = std::holds_alternative<std::int64_t>(v[i]) ? DType::Int64 : DType::Float64;
      out.push_back({{s.name, s.long_name, s.units, t, {}, {}}, v[i]});
    }
  }
  return out;
}

std::vector<VarSpec> PeaceModel::map_specs() const {
  if (cfg_.map_every <= 0) return {};
  return {{"map_occupancy",
           "what each cell holds",
           "1",
           DType::UInt8,
           {"snapshot", "y", "x"},
           {{"flag_meanings",
             std::string("empty quiet_group0 quiet_group1 active spoiler bandit peacekeeper constable")},
            {"flag_values", std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}}}},
          {"map_killings",
           "killings in the cell since the previous snapshot",
           "1",
           DType::Int32,
           {"snapshot", "y", "x"},
           {}},
          {"map_legitimacy",
           "legitimacy of the citizen in the cell",
           "1",
           DType::Float32,
           {"snapshot", "y", "x"},
           {}},
          // float32, the type the control mechanism holds it in: the file keeps the exact share, so the five
          // zones (control_zone, thresholds 0.9 0.6 0.4 0.1) can be recomputed from it without rounding.
          {"map_control",
           "incumbent share of armed presence in the cell (ODD 7.15), 1 where control is not computed",
           "1",
           DType::Float32,
           {"snapshot", "y", "x"},
           {}},
          {"map_displaced",
           "1 where the cell holds a citizen outside its home region, else 0",
           "1",
           DType::UInt8,
           {"snapshot", "y", "x"},
           {{"flag_meanings", std::string("not_displaced displaced")},
            {"flag_values", std::vector<std::int64_t>{0, 1}}}},
          // Static, but written with every snapshot like the other maps (docs/output.md, "Maps"): one layout
          // for all map variables, and a snapshot read alone is complete.
          {"map_installations",
           "installation in the cell (the world map's, ODD 2)",
           "1",
           DType::UInt8,
           {"snapshot", "y", "x"},
           {{"flag_meanings", std::string("none capital depot training_centre")},
            {"flag_values", std::vector<std::int64_t>{kNoInstallation, kCapital, kDepot, kTrainingCentre}}}}};
}

bool PeaceModel::map_due() const {
  return cfg_.map_every > 0 && day_ % cfg_.map_every == 0;
}

void PeaceModel::write_maps(MapSink& sink) {
  const auto cells = static_cast<std::size_t>(grid_.cells());
  std::vector<std::uint8_t> occ(cells, 0);
  std::vector<float> legit(cells, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> control(cells);
  std::vector<std::uint8_t> displaced(cells, 0);
  for (std::size_t c = 0; c < cells; ++c)
    control[c] = static_cast<float>(incumbent_share(static_cast<std::int32_t>(c)));
  for (std::size_t c = 0; c < cells; ++c) {
    const std::int32_t o = occupant_[c];
    if (o < 0) continue;
    const auto i = static_cast<std::size_t>(o);
    switch (agents_.kind[i]) {
      case Kind::Citizen:
        occ[c] = agents_.status[i] == Status::Active ? 3 : static_cast<std::uint8_t>(1 + agents_.group[i]);
        legit[c] = static_cast<float>(legitimacy_of(i));
        // The rule of the `displaced` series (observe above): a citizen on the grid, neither jailed nor
        // abroad, who is away from home (displaced_at); so the map sums to that day's count.
        if (agents_.status[i] != Status::Jailed && !abroad(i) && agents_.home[i] >= 0 &&
            displaced_at(static_cast<std::int32_t>(c), agents_.home[i]))
          displaced[c] = 1;
        break;
      case Kind::Spoiler:
        occ[c] = agents_.faction[i] == kBandits ? 5 : 4;
        break;
      case Kind::Peacekeeper:
        occ[c] = 6;
        break;
      case Kind::Constable:
        occ[c] = 7;
        break;
    }
  }
  sink.put("map_occupancy", std::span<const std::uint8_t>(occ));
  sink.put("map_killings", std::span<const std::int32_t>(map_killings_));
  sink.put("map_legitimacy", std::span<const float>(legit));
  sink.put("map_control", std::span<const float>(control));
  sink.put("map_displaced", std::span<const std::uint8_t>(displaced));
  sink.put("map_installations", std::span<const std::uint8_t>(map_.installation));
  std::fill(map_killings_.begin(), map_killings_.end(), 0);
}

}  // namespace keepsim::peace
