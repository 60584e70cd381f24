#include "keepsim/core/grid.hpp"

#include <cmath>
#include <stdexcept>

namespace keepsim {

Topology parse_topology(const std::string& name) {
  if (name == "torus") return Topology::Torus;
  if (name == "bounded") return Topology::Bounded;
  throw std::invalid_argument("unknown topology: " + name);
}

Metric parse_metric(const std::string& name) {
  if (name == "euclidean") return Metric::Euclidean;
  if (name == "moore") return Metric::Moore;
  if (name == "von_neumann") return Metric::VonNeumann;
  throw std::invalid_argument("unknown vision metric: " + name);
}

Vision::Vision(Metric metric, double radius) {
  // Integer reach: the largest offset any metric can include. Euclidean includes (dx, dy) when
  // dx^2 + dy^2 <= radius^2, so radius 1.7 covers the 8 Moore neighbours (2 <= 2.89) as in NetLogo's
  // in-radius.
  reach_ = static_cast<int>(std::floor(radius + 1e-9));
  half_.assign(static_cast<std::size_t>(2 * reach_ + 1), 0);
  const double r2 = radius * radius + 1e-9;
  for (int dy = -reach_; dy <= reach_; ++dy) {
    int w = 0;
    switch (metric) {
      case Metric::Moore:
        w = reach_;
        break;
      case Metric::VonNeumann:
        w = reach_ - std::abs(dy);
        break;
      case Metric::Euclidean:
        while (static_cast<double>((w + 1) * (w + 1) + dy * dy) <= r2) ++w;
        break;
    }
    half_[static_cast<std::size_t>(dy + reach_)] = w;
    size_ += 2 * w + 1;
  }
  size_ -= 1;  // the centre
  if (2 * reach_ + 1 <= kWindowBits)
    for (int dy = -reach_; dy <= reach_; ++dy) {
      const int w = half_width(dy);
      window_.push_back(((std::uint64_t{1} << (2 * w + 1)) - 1) << (reach_ - w));
    }
}

}  // namespace keepsim
