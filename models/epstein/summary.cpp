// The run summary (ODD 10, Epstein runs): outbursts for Model I, elimination for Model II.
#include <cmath>
#include <limits>
#include <numeric>

#include "models/epstein/model.hpp"

namespace keepsim::epstein {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean(const std::vector<double>& v) {
  return v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sample_sd(const std::vector<double>& v) {
  if (v.size() < 2) return kNaN;
  const double m = mean(v);
  double ss = 0;
  for (const double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

Scalar count(const char* name, const char* long_name, std::int64_t v) {
  return {{name, long_name, "1", DType::Int64, {}, {}}, v};
}
Scalar real(const char* name, const char* long_name, const char* units, double v) {
  return {{name, long_name, units, DType::Float64, {}, {}}, v};
}

}  // namespace

std::vector<Scalar> EpsteinModel::summary(const Recorder& rec) const {
  std::vector<Scalar> out;
  const auto active = rec.ints(h_active_);
  const auto arrests = rec.ints(h_arrests_);
  // Step 0 is the initial state; the dynamics are steps 1..N.
  std::int64_t peak = 0;
  double total_active = 0;
  for (std::size_t i = 1; i < active.size(); ++i) {
    peak = std::max(peak, active[i]);
    total_active += static_cast<double>(active[i]);
  }
  const double periods = static_cast<double>(active.size() > 1 ? active.size() - 1 : 1);
  out.push_back(count("summary_peak_active", "largest number of active citizens in a period", peak));
  out.push_back(
      real("summary_mean_active", "mean number of active citizens per period", "1", total_active / periods));
  out.push_back(count("summary_total_arrests", "arrests over the run",
                      std::accumulate(arrests.begin(), arrests.end(), std::int64_t{0})));

  if (cfg_.violence == Violence::Rebellion) {
    // An outburst is a maximal run of periods with more than `outburst_threshold` actives. Its activation is
    // the sum of actives over its periods; the waiting time is the number of periods between one outburst's
    // end and the next one's start.
    std::vector<double> activation, waiting;
    std::int64_t last_end = -1;
    for (std::size_t i = 1; i < active.size(); ++i) {
      if (active[i] <= cfg_.outburst_threshold) continue;
      const std::size_t start = i;
      double sum = 0;
      while (i < active.size() && active[i] > cfg_.outburst_threshold)
        sum += static_cast<double>(active[i++]);
      if (last_end >= 0)
        waiting.push_back(static_cast<double>(static_cast<std::int64_t>(start) - last_end - 1));
      last_end = static_cast<std::int64_t>(i) - 1;
      activation.push_back(sum);
    }
    out.push_back(count("summary_outbursts", "number of outbursts (runs of periods above the threshold)",
                        static_cast<std::int64_t>(activation.size())));
    out.push_back(
        real("summary_waiting_time_mean", "mean periods between outbursts", "periods", mean(waiting)));
    out.push_back(real("summary_waiting_time_sd", "sample s.d. of periods between outbursts", "periods",
                       sample_sd(waiting)));
    out.push_back(real("summary_activation_per_outburst_mean", "mean of actives summed over an outburst", "1",
                       mean(activation)));
    out.push_back(real("summary_activation_per_outburst_sd", "sample s.d. of actives summed over an outburst",
                       "1", sample_sd(activation)));
    out.push_back(count("summary_final_jailed", "citizens in jail at the end", rec.ints(h_jailed_).back()));
  } else {
    // Model II: the first period at which a group has no living member, and which group that is.
    const auto alive = rec.ints(h_alive_);
    const auto killed = rec.ints(h_killed_);
    double when = kNaN, which = kNaN;
    for (std::size_t i = 0; i < rec.rows() && std::isnan(when); ++i)
      for (std::size_t g = 0; g < 2; ++g)
        if (alive[i * 2 + g] == 0) {
          when = static_cast<double>(rec.steps()[i]);
          which = static_cast<double>(g);
          break;
        }
    out.push_back(real("summary_time_to_elimination", "first period with a group extinct (NaN: never)",
                       "periods", when));
    out.push_back(real("summary_eliminated_group", "the group that died out first (NaN: none)", "1", which));
    out.push_back(count("summary_total_killed", "citizens killed over the run",
                        std::accumulate(killed.begin(), killed.end(), std::int64_t{0})));
  }
  return out;
}

}  // namespace keepsim::epstein
