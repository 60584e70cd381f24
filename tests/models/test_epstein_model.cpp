// Epstein Models I and II: invariants every period, determinism, schedules, and a seeded statistical check of
// Rule A (docs/epstein.md; docs/validation/epstein.md).
#include <catch2/catch.hpp>
#include <cmath>

#include "epstein_helpers.hpp"

using namespace keepsim;
using namespace keepsim::epstein;
using keepsim::test::model_from;
using keepsim::test::small_model_i;
using keepsim::test::small_model_ii;

namespace {

struct Tally {
  std::int64_t quiet = 0, active = 0, jailed = 0, dead = 0, citizens = 0, cops_alive = 0;
};

Tally tally(const EpsteinModel& m) {
  Tally t;
  const Agents& a = m.agents();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.kind[i] == Kind::Cop) {
      t.cops_alive += a.status[i] != Status::Dead;
      continue;
    }
    ++t.citizens;
    t.quiet += a.status[i] == Status::Quiet;
    t.active += a.status[i] == Status::Active;
    t.jailed += a.status[i] == Status::Jailed;
    t.dead += a.status[i] == Status::Dead;
  }
  return t;
}

std::string variants() {
  return GENERATE(as<std::string>{}, "[rules]\nschedule = \"async\"\n", "[rules]\nschedule = \"sync\"\n",
                  "[rules]\nschedule = \"async\"\njailed = \"keep_cell\"\norder = \"act_first\"\n",
                  "[rules]\nschedule = \"sync\"\njailed = \"keep_cell\"\nvision_metric = \"von_neumann\"\n");
}

}  // namespace

TEST_CASE("Model I keeps its invariants every period under every schedule", "[epstein][invariants]") {
  const std::string rules = variants();
  auto m = model_from(small_model_i(rules + "---\n[jail]\nmax_term = 5\n"));
  const Tally start = tally(m);
  CHECK(start.citizens == 280);   // round(0.7 * 400)
  CHECK(start.cops_alive == 16);  // round(0.04 * 400)
  std::int64_t arrests = 0, releases = 0;
  for (int t = 0; t < 60; ++t) {
    m.step();
    REQUIRE_NOTHROW(m.check_invariants());
    arrests += m.events().arrests;
    releases += m.events().releases;
    const Tally now = tally(m);
    REQUIRE(now.citizens == 280);  // Model I: nobody is born or dies
    REQUIRE(now.jailed == arrests - releases);
  }
  CHECK(arrests > 0);
  CHECK(releases > 0);
}

TEST_CASE("Model II accounts for every citizen: initial + births = alive + killed + died of age",
          "[epstein][invariants]") {
  const std::string rules = variants();
  auto m = model_from(small_model_ii(rules));
  const std::int64_t initial = tally(m).citizens;
  std::int64_t births = 0, killed = 0, aged = 0;
  for (int t = 0; t < 80; ++t) {
    m.step();
    REQUIRE_NOTHROW(m.check_invariants());
    births += m.events().births;
    killed += m.events().killed[0] + m.events().killed[1];
    aged += m.events().deaths_of_age;
    const Tally now = tally(m);
    REQUIRE(now.citizens == initial + births);
    REQUIRE(now.dead == killed + aged);
  }
  CHECK(births > 0);
  CHECK(killed > 0);
  CHECK(aged > 0);
}

TEST_CASE("same seed gives the same run, another seed another run", "[epstein][determinism]") {
  const std::string rules = variants();
  auto a = model_from(small_model_i(rules));
  auto b = model_from(small_model_i(rules));
  auto c = model_from(small_model_i(rules + "---\n[run]\nseed = 2\n"));
  for (int t = 0; t < 30; ++t) {
    a.step();
    b.step();
    c.step();
  }
  CHECK(a.cells() == b.cells());
  CHECK(a.agents().status == b.agents().status);
  CHECK(a.cells() != c.cells());
}

TEST_CASE("the sync schedule gives identical states on 1, 2 and 4 threads", "[epstein][determinism]") {
  const std::string base = GENERATE(as<std::string>{}, small_model_i("[rules]\nschedule = \"sync\"\n"),
                                    small_model_ii("[rules]\nschedule = \"sync\"\n"));
  // A grid big enough that the parallel loops really split across threads.
  auto big = [&](int threads) {
    std::string t = base;
    t.replace(t.find("width = 20\nheight = 20"), 22, "width = 120\nheight = 90");
    return model_from(t, threads);
  };
  auto one = big(1), two = big(2), four = big(4);
  for (int t = 0; t < 25; ++t) {
    one.step();
    two.step();
    four.step();
  }
  CHECK(one.cells() == two.cells());
  CHECK(one.cells() == four.cells());
  CHECK(one.agents().status == two.agents().status);
  CHECK(one.agents().jail_left == four.agents().jail_left);
}

TEST_CASE("the sync schedule's bands in two waves (plain claims) give the states of one thread",
          "[epstein][determinism]") {
  // Tall enough (300 rows) that with 2 and 4 threads choose_moves runs its bands in two waves and claims
  // without atomics; a Moore vision so that moves are chosen by the sliding-sum window; Model I and II.
  const std::string moore = "[rules]\nschedule = \"sync\"\nvision_metric = \"moore\"\n";
  const std::string base = GENERATE_COPY(as<std::string>{}, small_model_i(moore), small_model_ii(moore));
  auto tall = [&](int threads) {
    std::string t = base;
    t.replace(t.find("width = 20\nheight = 20"), 22, "width = 70\nheight = 300");
    return model_from(t, threads);
  };
  auto one = tall(1), two = tall(2), four = tall(4);
  for (int t = 0; t < 20; ++t) {
    one.step();
    two.step();
    four.step();
    REQUIRE_NOTHROW(four.check_invariants());
  }
  CHECK(one.cells() == two.cells());
  CHECK(one.cells() == four.cells());
  CHECK(one.occupants() == four.occupants());
  CHECK(one.agents().status == two.agents().status);
  CHECK(one.agents().cell == four.agents().cell);
}

TEST_CASE("with no cops, the active share is the share with grievance above the threshold",
          "[epstein][stats]") {
  // Hypothesis: with C = 0 the arrest probability is 0, so a citizen is active iff H (1 - L) > T. With
  // H ~ U(0,1), L = 0.5, T = 0.1 that is P(H > 0.2) = 0.8. Sample: 3 seeds x 2800 citizens (80x50 grid at
  // density 0.7). Tolerance: 4 binomial standard deviations, sqrt(0.8 * 0.2 / 2800) = 0.0076 each.
  for (int seed = 1; seed <= 3; ++seed) {
    auto m = model_from(
        "[world]\nwidth = 80\nheight = 50\n[citizens]\nlegitimacy = 0.5\nvision = 3\n"
        "[cops]\ndensity = 0\nvision = 3\n[run]\nseed = " +
        std::to_string(seed) + "\n");
    m.step();
    const Tally t = tally(m);
    REQUIRE(t.citizens == 2800);
    CHECK(static_cast<double>(t.active) / 2800.0 == Approx(0.8).margin(4 * 0.0076));
  }
}

TEST_CASE("full legitimacy: nobody ever goes active", "[epstein][rules]") {
  auto m = model_from(small_model_i("[citizens]\nlegitimacy = 1.0\n"));
  for (int t = 0; t < 20; ++t) {
    m.step();
    REQUIRE(tally(m).active == 0);
    REQUIRE(m.events().arrests == 0);
  }
}

TEST_CASE("legitimacy schedules: linear decline and one jump", "[epstein][schedules]") {
  auto lin =
      model_from(small_model_i("[citizens]\nlegitimacy = 0.9\n[legitimacy]\nschedule = \"linear\"\n"
                               "change_start = 3\nchange_rate = 0.1\ntarget = 0.65\n"));
  std::vector<double> seen;
  for (int t = 0; t < 6; ++t) {
    lin.step();
    seen.push_back(lin.legitimacy());
  }
  CHECK(seen[0] == Approx(0.9));
  CHECK(seen[1] == Approx(0.9));
  CHECK(seen[2] == Approx(0.8));
  CHECK(seen[3] == Approx(0.7));
  CHECK(seen[4] == Approx(0.65));  // stops at the target
  CHECK(seen[5] == Approx(0.65));
  auto jump =
      model_from(small_model_i("[citizens]\nlegitimacy = 0.9\n[legitimacy]\nschedule = \"jump\"\n"
                               "change_start = 2\ntarget = 0.7\n"));
  jump.step();
  CHECK(jump.legitimacy() == Approx(0.9));
  jump.step();
  CHECK(jump.legitimacy() == Approx(0.7));
}

TEST_CASE("cop schedules add cops on empty cells, withdraw them, and reduce them linearly",
          "[epstein][schedules]") {
  auto step =
      model_from(small_model_i("[cops]\ndensity = 0\nschedule = \"step\"\nchange_start = 3\n"
                               "change_end = 5\ntarget_density = 0.05\n"));
  std::vector<std::int64_t> cops;
  for (int t = 0; t < 6; ++t) {
    step.step();
    step.check_invariants();
    cops.push_back(tally(step).cops_alive);
  }
  CHECK(cops == std::vector<std::int64_t>{0, 0, 20, 20, 0, 0});
  auto lin =
      model_from(small_model_i("[cops]\ndensity = 0.05\nschedule = \"linear\"\nchange_start = 1\n"
                               "change_rate = 0.01\ntarget_density = 0.02\n"));
  cops.clear();
  for (int t = 0; t < 4; ++t) {
    lin.step();
    lin.check_invariants();
    cops.push_back(tally(lin).cops_alive);
  }
  CHECK(cops == std::vector<std::int64_t>{16, 12, 8, 8});  // 400 cells x (0.04, 0.03, 0.02, 0.02)
}

TEST_CASE("jail terms stay within 1..J_max periods and life terms never end", "[epstein][jail]") {
  auto m = model_from(small_model_i("[citizens]\nlegitimacy = 0.3\n[jail]\nmax_term = 4\n"));
  std::vector<int> jailed_for(m.agents().size(), 0);
  int longest = 0;
  for (int t = 0; t < 80; ++t) {
    m.step();
    for (std::size_t i = 0; i < m.agents().size(); ++i) {
      if (m.agents().status[i] == Status::Jailed) {
        longest = std::max(longest, ++jailed_for[i]);
      } else {
        jailed_for[i] = 0;
      }
    }
  }
  // Arrested in period t with term j: recorded jailed at the ends of periods t .. t+j-1, released at the end
  // of t+j. So at most J_max consecutive records, and with hundreds of arrests some term is J_max.
  CHECK(longest == 4);
  auto life = model_from(small_model_i("[citizens]\nlegitimacy = 0.3\n[jail]\nmax_term = inf\n"));
  std::int64_t releases = 0;
  for (int t = 0; t < 40; ++t) {
    life.step();
    releases += life.events().releases;
  }
  CHECK(releases == 0);
}

TEST_CASE("without movement citizens stay put while cops still move", "[epstein][rules]") {
  auto m = model_from(small_model_i("[citizens]\nmove = \"none\"\nlegitimacy = 0.95\n"));
  const auto before = m.agents().cell;
  for (int t = 0; t < 5; ++t) m.step();
  bool cop_moved = false;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (m.agents().kind[i] == Kind::Citizen) REQUIRE(m.agents().cell[i] == before[i]);
    if (m.agents().kind[i] == Kind::Cop && m.agents().cell[i] != before[i]) cop_moved = true;
  }
  CHECK(cop_moved);
}
