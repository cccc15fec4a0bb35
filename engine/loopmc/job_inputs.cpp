#include "loopmc/job_inputs.hpp"

#include "loopmc/rng.hpp"

#include <cmath>
#include <numbers>
#include <vector>

namespace loopmc {

Eigen::MatrixXd generate_inputs(const GeneratedInputs& spec, InputMatrix which) {
  const RandomStream stream(spec.seed, 0, Stream::generated_inputs);
  const std::uint64_t blocks_per_column = (static_cast<std::uint64_t>(spec.dim) + 3) / 4;
  const std::uint64_t base = static_cast<std::uint64_t>(which) << 56;

  Eigen::MatrixXd result(spec.dim, spec.count);
  for (int n = 0; n < spec.count; ++n) {
    for (int i = 0; i < spec.dim; ++i) {
      const std::uint64_t index = base + static_cast<std::uint64_t>(n) * blocks_per_column +
                                  static_cast<std::uint64_t>(i) / 4;
      const double uniform = to_uniform(stream.block(index)[static_cast<std::size_t>(i % 4)]);
      result(i, n) = spec.low + (spec.high - spec.low) * uniform;
    }
    if (spec.unit_length) {
      const double norm = result.col(n).norm();
      if (norm > 0) result.col(n) /= norm;
    }
    if (spec.last_coordinate) result(spec.dim - 1, n) = *spec.last_coordinate;
  }
  return result;
}

Eigen::MatrixXd attributes_from_angles(const std::vector<double>& degrees) {
  Eigen::MatrixXd result(2, static_cast<Eigen::Index>(degrees.size()));
  for (std::size_t k = 0; k < degrees.size(); ++k) {
    const double radians = degrees[k] * std::numbers::pi / 180.0;
    result(0, static_cast<Eigen::Index>(k)) = std::cos(radians);
    result(1, static_cast<Eigen::Index>(k)) = std::sin(radians);
  }
  return result;
}

}  // namespace loopmc
