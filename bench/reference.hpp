// A deliberately straightforward Epstein Model I, the yardstick every benchmark figure is divided by: one
// array of agents, a cell array of agent indices, random sequential activation, and for every agent a scan of
// every cell of its (Moore) vision, three times (count, choose an empty cell, choose an arrest). It uses
// std::mt19937_64 and its results are not meant to match keepsim's draw for draw.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace keepsim::bench {

class ReferenceModelI {
 public:
  ReferenceModelI(int size, double citizen_density, double cop_density, int vision, double legitimacy,
                  int max_jail, std::uint64_t seed)
      : n_(size),
        v_(vision),
        l_(legitimacy),
        jmax_(max_jail),
        rng_(seed),
        cell_(static_cast<std::size_t>(size) * size, -1) {
    std::vector<int> cells(cell_.size());
    for (std::size_t i = 0; i < cells.size(); ++i) cells[i] = static_cast<int>(i);
    std::shuffle(cells.begin(), cells.end(), rng_);
    const auto nc =
        static_cast<std::size_t>(std::llround(citizen_density * static_cast<double>(cells.size())));
    const auto nk = static_cast<std::size_t>(std::llround(cop_density * static_cast<double>(cells.size())));
    for (std::size_t i = 0; i < nc + nk; ++i) {
      Agent a;
      a.cop = i >= nc;
      a.h = u(rng_);
      a.r = u(rng_);
      a.pos = cells[i];
      cell_[static_cast<std::size_t>(a.pos)] = static_cast<int>(agents_.size());
      agents_.push_back(a);
    }
  }

  /// One period; returns the agent-updates it made (agents on the grid or in jail).
  std::int64_t step() {
    std::vector<int> order(agents_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::shuffle(order.begin(), order.end(), rng_);
    for (const int id : order) {
      Agent& a = agents_[static_cast<std::size_t>(id)];
      if (a.jail > 0) continue;
      move(id);
      if (a.cop) {
        std::vector<int> actives;
        scan(a.pos, [&](int c) {
          const int o = cell_[static_cast<std::size_t>(c)];
          if (o >= 0 && !agents_[static_cast<std::size_t>(o)].cop &&
              agents_[static_cast<std::size_t>(o)].active)
            actives.push_back(o);
        });
        if (!actives.empty()) {
          Agent& s = agents_[static_cast<std::size_t>(actives[pick(actives.size())])];
          s.active = false;
          s.jail = 1 + static_cast<int>(pick(static_cast<std::size_t>(jmax_)));
          cell_[static_cast<std::size_t>(s.pos)] = -1;
          s.pos = -1;
        }
      } else {
        int cops = 0, act = 1;
        scan(a.pos, [&](int c) {
          const int o = cell_[static_cast<std::size_t>(c)];
          if (o < 0) return;
          const Agent& b = agents_[static_cast<std::size_t>(o)];
          cops += b.cop;
          act += !b.cop && b.active;
        });
        const double p = 1 - std::exp(-2.3 * std::floor(static_cast<double>(cops) / act));
        a.active = a.h * (1 - l_) - a.r * p > 0.1;
      }
    }
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      Agent& a = agents_[i];
      if (a.jail > 0 && --a.jail == 0) {
        int c;
        do c = static_cast<int>(pick(cell_.size()));
        while (cell_[static_cast<std::size_t>(c)] >= 0);
        a.pos = c;
        cell_[static_cast<std::size_t>(c)] = static_cast<int>(i);
      }
    }
    return static_cast<std::int64_t>(agents_.size());
  }

 private:
  struct Agent {
    bool cop = false, active = false;
    double h = 0, r = 0;
    int pos = -1, jail = 0;
  };
  template <class F>
  void scan(int pos, F&& f) const {
    const int x = pos % n_, y = pos / n_;
    for (int dy = -v_; dy <= v_; ++dy)
      for (int dx = -v_; dx <= v_; ++dx)
        if (dx != 0 || dy != 0) f(((y + dy + n_) % n_) * n_ + (x + dx + n_) % n_);
  }
  void move(int id) {
    Agent& a = agents_[static_cast<std::size_t>(id)];
    std::vector<int> empty;
    scan(a.pos, [&](int c) {
      if (cell_[static_cast<std::size_t>(c)] < 0) empty.push_back(c);
    });
    if (empty.empty()) return;
    const int to = empty[pick(empty.size())];
    cell_[static_cast<std::size_t>(a.pos)] = -1;
    cell_[static_cast<std::size_t>(to)] = id;
    a.pos = to;
  }
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  int n_, v_;
  double l_;
  int jmax_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> u{0.0, 1.0};
  std::vector<int> cell_;
  std::vector<Agent> agents_;
};

}  // namespace keepsim::bench
