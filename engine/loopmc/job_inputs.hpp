#pragma once
// Model inputs made from a seed: attributes uniform on a box, optionally
// scaled to unit length, optionally with the last coordinate fixed.

#include <Eigen/Dense>

#include <cstdint>
#include <optional>

namespace loopmc {

struct GeneratedInputs {
  int count = 0;
  int dim = 0;
  double low = 0.0;
  double high = 1.0;
  bool unit_length = false;
  std::optional<double> last_coordinate;  // puts the columns on a hyperplane
  std::uint64_t seed = 1;
};

// The generated matrix. Each has its own counter range, so the three never
// share draws even with the same seed.
enum class InputMatrix : std::uint64_t { user_attributes = 0, product_attributes = 1, initial_states = 2 };

// Returns a dim x count matrix, one column per entity.
Eigen::MatrixXd generate_inputs(const GeneratedInputs& spec, InputMatrix which);

// Product attributes of dimension 2 from angles in degrees: w_k = (cos, sin).
Eigen::MatrixXd attributes_from_angles(const std::vector<double>& degrees);

}  // namespace loopmc
