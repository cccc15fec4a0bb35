// Drift of the carried Cholesky factor: after many rank-one updates at d = 25,
// the learner's factor L is compared with a fresh Cholesky factor of the same S
// accumulated separately in long double. Reports
//   drift = max_ij |L_carried - L_fresh| / max_ij |L_fresh|
// as a counter. Contexts are v_n (x) w_k for 50 users and 10 products with
// random attributes, as in a run. Run one size with --benchmark_filter, e.g.
// 'BM_FactorDrift/updates:100000000' (about three minutes on one core).

#include "loopmc/learner.hpp"
#include "loopmc/rng.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

constexpr int kUserDim = 5;
constexpr int kProductDim = 5;
constexpr int kDim = kUserDim * kProductDim;
constexpr int kUsers = 50;
constexpr int kProducts = 10;

using LongMatrix = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;

std::vector<Eigen::VectorXd> kronecker_contexts() {
  const Eigen::MatrixXd V = Eigen::MatrixXd::Random(kUserDim, kUsers);
  const Eigen::MatrixXd W = Eigen::MatrixXd::Random(kProductDim, kProducts);
  std::vector<Eigen::VectorXd> contexts;
  for (int n = 0; n < kUsers; ++n) {
    for (int k = 0; k < kProducts; ++k) {
      Eigen::VectorXd c(kDim);
      for (int i = 0; i < kUserDim; ++i) c.segment(i * kProductDim, kProductDim) = V(i, n) * W.col(k);
      contexts.push_back(c);
    }
  }
  return contexts;
}

void BM_FactorDrift(benchmark::State& state) {
  const auto updates = static_cast<std::uint64_t>(state.range(0));
  const std::vector<Eigen::VectorXd> contexts = kronecker_contexts();
  const loopmc::RandomStream stream(1, 0, loopmc::Stream::step);
  constexpr double kZeta = 1e-3;
  loopmc::Schedule schedule;  // harmonic, t0 = 1: every weight is 1
  double drift = 0;

  for (auto _ : state) {
    loopmc::Learner learner(kDim);
    learner.reset(schedule, kZeta);
    LongMatrix S = static_cast<long double>(kZeta) * LongMatrix::Identity(kDim, kDim);
    Eigen::VectorXd x(kDim);
    for (std::uint64_t t = 0; t < updates; ++t) {
      const loopmc::RandomBlock bits = stream.block(t);
      const Eigen::VectorXd& c = contexts[bits[0] % contexts.size()];
      for (int j = 0; j < kDim; ++j) {
        for (int i = j; i < kDim; ++i) {
          S(i, j) += static_cast<long double>(c[i]) * static_cast<long double>(c[j]);
        }
      }
      x = c;
      learner.update(x.data(), loopmc::to_uniform(bits[1]));
    }
    const LongMatrix fresh = S.selfadjointView<Eigen::Lower>().llt().matrixL();
    const LongMatrix carried = learner.factor().cast<long double>();
    drift = static_cast<double>((carried - fresh).cwiseAbs().maxCoeff() /
                                fresh.cwiseAbs().maxCoeff());
  }
  state.counters["drift"] = drift;
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(updates));
}
BENCHMARK(BM_FactorDrift)->ArgName("updates")->Arg(1000000)->Arg(100000000)
    ->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
