// Population statistics of a run with many users, recomputed by brute force
// from the user states, theta and inputs stored in the result file. The
// definitions are written out here, independently of model.cpp.
//
// A replica tracks each user's preferred product step by step while a
// checkpoint interval is shorter than N, and recomputes all of them at the
// checkpoint otherwise. The job's checkpoint intervals fall on both sides of
// N, so both paths are checked.

#include "loopmc/h5.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace {

using loopmc::testing::TemporaryDirectory;

constexpr int kUsers = 3000;
constexpr int kProducts = 40;
constexpr int kDim = 4;  // p = q

const char* const kJob = R"(name = "population-statistics"
[model]
a = 8.0
zeta = 0.001
sigma = 0.1
[users]
count = 3000
dim = 4
[users.generate]
low = -1.0
high = 1.0
seed = 31
[users.initial_generate]
low = -1.0
high = 1.0
seed = 33
[products]
count = 40
dim = 4
[products.generate]
low = -1.0
high = 1.0
unit_length = true
seed = 32
[schedule]
kind = "constant"
gamma = 0.1
[horizon]
steps = 60000
[checkpoints]
count = 16
spacing = "log"
[run]
replicas = 2
seed = 5
[output]
user_states = "all"
[ode]
enabled = false
)";

// A dataset with its shape, read whole.
template <typename T>
struct Array {
  std::vector<T> values;
  loopmc::h5::Dims shape;
};

template <typename T>
Array<T> read(const loopmc::h5::File& file, const std::string& path) {
  Array<T> array;
  array.values = loopmc::h5::read_dataset<T>(file, path, &array.shape);
  return array;
}

// Statistics of one checkpoint of one replica, from their definitions.
struct Statistics {
  std::vector<std::int32_t> counts;  // users preferring each product
  double dispersion = 0;             // max_n |Y_n - mean_m Y_m|
  double residual = 0;               // sqrt(mean_n |Y_n - Theta v_n|^2)
  double drift = 0;                  // mean_n |Y_n - Y_n(0)|
  double gini = 0;
  double entropy = 0;
};

struct Inputs {
  std::vector<double> V, W, Y0;  // [N, p], [K, q], [N, q]
};

double distance(const double* x, const double* y) {
  double squares = 0;
  for (int j = 0; j < kDim; ++j) squares += (x[j] - y[j]) * (x[j] - y[j]);
  return std::sqrt(squares);
}

// argmax_k w_k^T y, the lowest index on ties.
int preferred(const std::vector<double>& W, const double* y) {
  int best = 0;
  double best_score = -INFINITY;
  for (int k = 0; k < kProducts; ++k) {
    double score = 0;
    for (int j = 0; j < kDim; ++j) score += W[k * kDim + j] * y[j];
    if (score > best_score) {
      best = k;
      best_score = score;
    }
  }
  return best;
}

// Gini coefficient as the mean absolute difference over all ordered pairs of
// products divided by twice the mean count.
double gini(const std::vector<std::int32_t>& counts) {
  double differences = 0;
  double total = 0;
  for (const auto a : counts) {
    total += a;
    for (const auto b : counts) differences += std::abs(a - b);
  }
  return differences / (2.0 * kProducts * total);
}

double entropy(const std::vector<std::int32_t>& counts) {
  double sum = 0;
  for (const auto count : counts) {
    if (count == 0) continue;
    const double share = static_cast<double>(count) / kUsers;
    sum -= share * std::log(share);
  }
  return sum;
}

// Y is [N, q]; theta has entry i q + j multiplying v_n[i] w_k[j].
Statistics brute_force(const Inputs& inputs, const double* Y, const double* theta) {
  Statistics stats;
  stats.counts.assign(kProducts, 0);
  std::vector<double> mean(kDim, 0.0);
  for (int n = 0; n < kUsers; ++n) {
    ++stats.counts[preferred(inputs.W, Y + n * kDim)];
    for (int j = 0; j < kDim; ++j) mean[j] += Y[n * kDim + j] / kUsers;
  }
  double residual_squares = 0;
  for (int n = 0; n < kUsers; ++n) {
    const double* y = Y + n * kDim;
    stats.dispersion = std::max(stats.dispersion, distance(y, mean.data()));
    stats.drift += distance(y, &inputs.Y0[n * kDim]) / kUsers;
    for (int j = 0; j < kDim; ++j) {
      double prediction = 0;
      for (int i = 0; i < kDim; ++i) prediction += theta[i * kDim + j] * inputs.V[n * kDim + i];
      residual_squares += (y[j] - prediction) * (y[j] - prediction);
    }
  }
  stats.residual = std::sqrt(residual_squares / kUsers);
  stats.gini = gini(stats.counts);
  stats.entropy = entropy(stats.counts);
  return stats;
}

}  // namespace

TEST_CASE("population statistics by brute force") {
  loopmc::h5::silence_library_errors();
  TemporaryDirectory directory("population");
  const std::string job = directory.file("job.toml");
  const std::string result = directory.file("result.h5");
  std::ofstream(job) << kJob;
  const auto run = loopmc::testing::run_loopmc("run " + job + " --out " + result);
  INFO(run.output);
  REQUIRE(run.exit_status == 0);

  const auto file = loopmc::h5::File::open(result, loopmc::h5::File::Mode::read);
  const Inputs inputs{read<double>(file, "/inputs/V").values, read<double>(file, "/inputs/W").values,
                      read<double>(file, "/inputs/Y0").values};
  const auto steps = read<std::uint64_t>(file, "/checkpoints/t").values;
  const auto states = read<double>(file, "/replicas/user_states");
  const auto theta = read<double>(file, "/replicas/theta");
  const auto counts = read<std::int32_t>(file, "/replicas/preference_counts");
  const auto dispersion = read<double>(file, "/replicas/dispersion").values;
  const auto residual = read<double>(file, "/replicas/residual").values;
  const auto drift = read<double>(file, "/replicas/drift").values;
  const auto gini_stored = read<double>(file, "/replicas/gini").values;
  const auto entropy_stored = read<double>(file, "/replicas/entropy").values;

  const std::size_t T = steps.size();
  const std::size_t R = states.shape[0];
  REQUIRE(states.shape == loopmc::h5::Dims{R, T, kUsers, kDim});
  REQUIRE(theta.shape == loopmc::h5::Dims{R, T, kDim * kDim});
  REQUIRE(counts.shape == loopmc::h5::Dims{R, T, kProducts});

  // Both ways of keeping the preferred products must be in use.
  bool shorter_interval = false;
  bool longer_interval = false;
  for (std::size_t c = 1; c < T; ++c) {
    shorter_interval = shorter_interval || steps[c] - steps[c - 1] < kUsers;
    longer_interval = longer_interval || steps[c] - steps[c - 1] >= kUsers;
  }
  REQUIRE(shorter_interval);
  REQUIRE(longer_interval);

  // Preferred products change within the tracked intervals, so the
  // incremental tracking is tested on changes, not only on a still population.
  bool tracked_change = false;
  for (std::size_t c = 1; c < T; ++c) {
    if (steps[c] - steps[c - 1] >= kUsers) continue;
    for (int k = 0; k < kProducts; ++k) {
      tracked_change = tracked_change || counts.values[c * kProducts + k] !=
                                             counts.values[(c - 1) * kProducts + k];
    }
  }
  CHECK(tracked_change);

  for (std::size_t r = 0; r < R; ++r) {
    for (std::size_t c = 0; c < T; ++c) {
      const std::size_t at = r * T + c;
      const Statistics expected = brute_force(
          inputs, &states.values[at * kUsers * kDim], &theta.values[at * kDim * kDim]);
      INFO("replica " << r << ", checkpoint " << c << " (step " << steps[c] << ")");
      const std::vector<std::int32_t> stored_counts(
          counts.values.begin() + static_cast<std::ptrdiff_t>(at * kProducts),
          counts.values.begin() + static_cast<std::ptrdiff_t>((at + 1) * kProducts));
      CHECK(stored_counts == expected.counts);
      CHECK(dispersion[at] == doctest::Approx(expected.dispersion).epsilon(1e-12));
      CHECK(residual[at] == doctest::Approx(expected.residual).epsilon(1e-12));
      CHECK(drift[at] == doctest::Approx(expected.drift).epsilon(1e-12));
      CHECK(gini_stored[at] == doctest::Approx(expected.gini).epsilon(1e-12));
      CHECK(entropy_stored[at] == doctest::Approx(expected.entropy).epsilon(1e-12));
    }
  }
  // The population moved, so the checks above compared more than Y_0.
  CHECK(drift[T - 1] > 0);
}
