#include "loopmc/model.hpp"

#include <boost/math/special_functions/digamma.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace loopmc {

double Schedule::tau(std::uint64_t t) const {
  if (kind == ScheduleKind::constant) return gamma * static_cast<double>(t);
  if (t == 0) return 0.0;
  // Sum 1/(s + t0) over s < t is psi(t + t0) - psi(t0). For small t the direct
  // sum is exact to rounding, and it avoids the cancellation of two large psi values.
  if (t <= 64) {
    double sum = 0;
    for (std::uint64_t s = 0; s < t; ++s) sum += 1.0 / (static_cast<double>(s) + t0);
    return sum;
  }
  return boost::math::digamma(static_cast<double>(t) + t0) - boost::math::digamma(t0);
}

std::uint64_t Schedule::steps_to_reach(double tau_target, std::uint64_t max_steps) const {
  const std::uint64_t overflow = std::numeric_limits<std::uint64_t>::max();
  if (tau_target <= 0) return 0;
  if (kind == ScheduleKind::constant) {
    const double steps = std::ceil(tau_target / gamma - 1e-9);
    if (!(steps <= static_cast<double>(max_steps))) return overflow;
    return static_cast<std::uint64_t>(steps);
  }

  // tau is increasing in t: bisect for the first t with tau(t) >= target.
  if (tau(max_steps) < tau_target) return overflow;
  std::uint64_t low = 0;
  std::uint64_t high = max_steps;
  while (high - low > 1) {
    const std::uint64_t mid = low + (high - low) / 2;
    (tau(mid) >= tau_target ? high : low) = mid;
  }
  return tau(low) >= tau_target ? low : high;
}

int preferred_product(const Eigen::MatrixXd& W, const Eigen::Ref<const Eigen::VectorXd>& y) {
  int best = 0;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int k = 0; k < W.cols(); ++k) {
    const double value = W.col(k).dot(y);
    if (value > best_value) {
      best_value = value;
      best = k;
    }
  }
  return best;
}

Eigen::VectorXd preference_probabilities(const Eigen::MatrixXd& W, double a,
                                         const Eigen::Ref<const Eigen::VectorXd>& y) {
  Eigen::VectorXd scores = a * (W.transpose() * y);
  Eigen::VectorXd weights = (scores.array() - scores.maxCoeff()).exp();
  return weights / weights.sum();
}

double gini_coefficient(const Eigen::Ref<const Eigen::VectorXi>& counts) {
  const auto size = counts.size();
  const double total = counts.cast<double>().sum();
  if (size == 0 || total <= 0) return 0.0;
  std::vector<int> sorted(counts.data(), counts.data() + size);
  std::sort(sorted.begin(), sorted.end());

  // G = sum_i (2 i - K - 1) x_(i) / (K sum x), with i = 1..K over sorted x.
  double weighted = 0;
  for (Eigen::Index i = 0; i < size; ++i) {
    weighted += static_cast<double>(2 * (i + 1) - size - 1) * sorted[static_cast<std::size_t>(i)];
  }
  return weighted / (static_cast<double>(size) * total);
}

double count_entropy(const Eigen::Ref<const Eigen::VectorXi>& counts) {
  const double total = counts.cast<double>().sum();
  if (total <= 0) return 0.0;
  double entropy = 0;
  for (Eigen::Index k = 0; k < counts.size(); ++k) {
    if (counts[k] > 0) {
      const double share = counts[k] / total;
      entropy -= share * std::log(share);
    }
  }
  return entropy;
}

PopulationStatistics population_statistics(const Model& model, const Eigen::MatrixXd& Y,
                                            const Eigen::VectorXd& theta,
                                            const Eigen::Ref<const Eigen::VectorXi>& counts) {
  PopulationStatistics stats;
  const Eigen::VectorXd mean = Y.rowwise().mean();
  const auto Theta = theta_matrix(theta, model.product_dim, model.user_dim);

  double residual_squares = 0;
  double drift_sum = 0;
  Eigen::VectorXd prediction(model.product_dim);
  for (int n = 0; n < model.users; ++n) {
    stats.dispersion = std::max(stats.dispersion, (Y.col(n) - mean).norm());
    prediction.noalias() = Theta * model.V.col(n);
    residual_squares += (Y.col(n) - prediction).squaredNorm();
    drift_sum += (Y.col(n) - model.Y0.col(n)).norm();
  }
  stats.residual = std::sqrt(residual_squares / model.users);
  stats.drift = drift_sum / model.users;
  stats.gini = gini_coefficient(counts);
  stats.entropy = count_entropy(counts);
  return stats;
}

}  // namespace loopmc
