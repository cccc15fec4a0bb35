// The score, exponential, softmax and draw kernels: accuracy of the
// exponential against the C library's, the draw's rule, and every lane of a
// pack equal bit for bit to the scalar kernel on that lane's inputs.

#include "loopmc/rng.hpp"
#include "loopmc/step_kernels.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using loopmc::Pack;
using loopmc::kLanes;
namespace kernels = loopmc::kernels;

namespace {

// Distance in units in the last place between two finite doubles of one sign.
std::int64_t ulps_between(double left, double right) {
  const auto a = std::bit_cast<std::int64_t>(left);
  const auto b = std::bit_cast<std::int64_t>(right);
  return a > b ? a - b : b - a;
}

bool same_bits(double left, double right) {
  return std::bit_cast<std::uint64_t>(left) == std::bit_cast<std::uint64_t>(right);
}

// Uniform values on [low, high) from a counter-based stream.
class Values {
 public:
  explicit Values(std::uint64_t seed) : stream_(seed, 0, loopmc::Stream::step) {}
  double next(double low, double high) {
    const loopmc::RandomBlock bits = stream_.block(count_++);
    return low + (high - low) * loopmc::to_uniform(bits[0]);
  }

 private:
  loopmc::RandomStream stream_;
  std::uint64_t count_ = 0;
};

double exp_scalar(double x) { return kernels::exp_nonpositive(x); }

}  // namespace

TEST_CASE("exponential within one ulp of libm") {
  Values values(1);
  std::int64_t worst = 0;
  for (int i = 0; i < 200000; ++i) {
    // Half the values near 0, where most softmax weights lie.
    const double x = i % 2 == 0 ? values.next(-40.0, 0.0) : values.next(-708.0, 0.0);
    const std::int64_t ulps = ulps_between(exp_scalar(x), std::exp(x));
    if (ulps > worst) worst = ulps;
  }
  CHECK(worst <= 1);
}

TEST_CASE("exponential at the edges of its range") {
  CHECK(exp_scalar(0.0) == 1.0);
  CHECK(exp_scalar(-0.0) == 1.0);
  CHECK(exp_scalar(-1.0) == doctest::Approx(std::exp(-1.0)).epsilon(1e-15));

  // Gradual underflow: subnormal results keep their relative accuracy to
  // within the spacing of subnormals.
  for (double x : {-708.5, -720.0, -740.0, -745.0}) {
    CAPTURE(x);
    CHECK(std::abs(exp_scalar(x) - std::exp(x)) <= 2 * std::numeric_limits<double>::denorm_min());
  }
  CHECK(exp_scalar(-746.0) == 0.0);
  CHECK(exp_scalar(-1e300) == 0.0);
  CHECK(exp_scalar(-std::numeric_limits<double>::infinity()) == 0.0);
  CHECK(std::isnan(exp_scalar(std::numeric_limits<double>::quiet_NaN())));
}

TEST_CASE("exponential of a pack equals scalar lanes") {
  // Down to -746, so that the subnormal results of the scaling by 2^n are
  // compared too.
  Values values(4);
  for (int i = 0; i < 20000; ++i) {
    Pack x{};
    for (int lane = 0; lane < kLanes; ++lane) {
      x[lane] = i % 2 == 0 ? values.next(-746.0, 0.0) : values.next(-746.0, -700.0);
    }
    const Pack result = kernels::exp_nonpositive(x);
    for (int lane = 0; lane < kLanes; ++lane) {
      CAPTURE(x[lane]);
      REQUIRE(same_bits(result[lane], exp_scalar(x[lane])));
    }
  }
}

TEST_CASE("draw takes the first cumulative weight above the target") {
  const double weights[] = {0.5, 0.0, 1.5, 2.0};
  CHECK(kernels::draw_index(weights, 4, 0.0) == 0);
  CHECK(kernels::draw_index(weights, 4, 0.49) == 0);
  CHECK(kernels::draw_index(weights, 4, 0.5) == 2);
  CHECK(kernels::draw_index(weights, 4, 1.99) == 2);
  CHECK(kernels::draw_index(weights, 4, 2.0) == 3);
  CHECK(kernels::draw_index(weights, 4, 3.99) == 3);
}

TEST_CASE("draw at the total falls back to the last positive weight") {
  const double weights[] = {0.5, 1.5, 0.0};
  CHECK(kernels::draw_index(weights, 3, 2.0) == 1);
  CHECK(kernels::draw_index(weights, 3, 5.0) == 1);
  const double zeros[] = {0.0, 0.0};
  CHECK(kernels::draw_index(zeros, 2, 0.0) == 0);
}

TEST_CASE("pack lanes equal scalar kernels bit for bit") {
  Values values(2);
  const int p = 3;
  for (int q : {1, 2, 5}) {
    for (int K : {1, 3, 4, 8, 10, 13, 37}) {
      CAPTURE(q);
      CAPTURE(K);
      std::vector<double> W(static_cast<std::size_t>(q * K));
      for (double& entry : W) entry = values.next(-1.0, 1.0);
      std::vector<double> W_transposed(W.size());
      for (int k = 0; k < K; ++k) {
        for (int j = 0; j < q; ++j) W_transposed[j * K + k] = W[k * q + j];
      }

      // Each lane gets its own theta, user attributes and uniform.
      std::vector<Pack> theta(static_cast<std::size_t>(p * q));
      std::vector<Pack> user(static_cast<std::size_t>(p));
      Pack uniform{};
      for (int lane = 0; lane < kLanes; ++lane) {
        for (Pack& entry : theta) entry[lane] = values.next(-3.0, 3.0);
        for (Pack& entry : user) entry[lane] = values.next(-1.0, 1.0);
        uniform[lane] = values.next(0.0, 1.0);
      }

      std::vector<Pack> projection(static_cast<std::size_t>(q));
      std::vector<Pack> scores(static_cast<std::size_t>(K));
      kernels::project(theta.data(), user.data(), p, q, 2.5, projection.data());
      const Pack top = kernels::score(W.data(), q, K, projection.data(), scores.data());
      const Pack total = kernels::softmax_weights(scores.data(), K, top);
      const loopmc::LaneIntegers chosen =
          kernels::draw_index(scores.data(), K, uniform * total);

      for (int lane = 0; lane < kLanes; ++lane) {
        CAPTURE(lane);
        std::vector<double> lane_theta(theta.size());
        std::vector<double> lane_user(user.size());
        for (std::size_t i = 0; i < theta.size(); ++i) lane_theta[i] = theta[i][lane];
        for (std::size_t i = 0; i < user.size(); ++i) lane_user[i] = user[i][lane];
        std::vector<double> lane_projection(static_cast<std::size_t>(q));
        std::vector<double> lane_scores(static_cast<std::size_t>(K));
        kernels::project(lane_theta.data(), lane_user.data(), p, q, 2.5, lane_projection.data());
        const double lane_top = kernels::score_transposed(W_transposed.data(), q, K,
                                                          lane_projection.data(),
                                                          lane_scores.data());
        const double lane_total = kernels::softmax_weights(lane_scores.data(), K, lane_top);
        const std::int64_t lane_chosen =
            kernels::draw_index(lane_scores.data(), K, uniform[lane] * lane_total);

        CHECK(same_bits(top[lane], lane_top));
        CHECK(same_bits(total[lane], lane_total));
        CHECK(chosen[lane] == lane_chosen);
        for (int k = 0; k < K; ++k) CHECK(same_bits(scores[k][lane], lane_scores[k]));
      }
    }
  }
}

TEST_CASE("softmax weights sum to their total") {
  Values values(3);
  std::vector<double> scores(23);
  for (double& score : scores) score = values.next(-5.0, 5.0);
  double top = scores[0];
  for (double score : scores) top = std::max(top, score);
  std::vector<double> weights = scores;
  const double total = kernels::softmax_weights(weights.data(), 23, top);

  double expected = 0;
  for (std::size_t k = 0; k < scores.size(); ++k) {
    CHECK(weights[k] == doctest::Approx(std::exp(scores[k] - top)).epsilon(1e-15));
    expected += weights[k];
  }
  CHECK(total == doctest::Approx(expected).epsilon(1e-14));
}
