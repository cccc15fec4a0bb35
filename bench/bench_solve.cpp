// Re-solve for theta: one back substitution L^T theta = z (the right-hand side
// already went through the rotations), scalar, kLanes replicas in lockstep,
// and two packs of kLanes with their substitutions interleaved, against the
// naive baseline's two triangular solves L y = B, L^T theta = y.

#include "bench_support.hpp"
#include "loopmc/cholesky_kernels.hpp"
#include "loopmc/lockstep_learner.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

constexpr int kLanes = loopmc::kLanes;

// A well-conditioned lower-triangular factor, stored d x d column-major.
Eigen::MatrixXd test_factor(int d) {
  Eigen::MatrixXd L = Eigen::MatrixXd::Random(d, d).triangularView<Eigen::Lower>();
  L.diagonal().array() = 2.0 + L.diagonal().array().abs();
  return L;
}

void BM_SolveScalar(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  const Eigen::MatrixXd L = test_factor(d);
  const Eigen::VectorXd z = Eigen::VectorXd::Random(d);
  Eigen::VectorXd theta(d);
  for (auto _ : state) {
    loopmc::kernels::solve_transposed(L.data(), d, z.data(), theta.data(), d);
    benchmark::DoNotOptimize(theta.data());
  }
  state.SetItemsProcessed(state.iterations());
}

template <int Lanes>
void BM_SolveLockstep(benchmark::State& state) {
  using Wide = loopmc::DoubleVector<Lanes>;
  const int d = static_cast<int>(state.range(0));
  const Eigen::MatrixXd L = test_factor(d);
  std::vector<Wide> factor(static_cast<std::size_t>(L.size()));
  for (Eigen::Index i = 0; i < L.size(); ++i) factor[static_cast<std::size_t>(i)] = Wide{} + L.data()[i];
  std::vector<Wide> z(static_cast<std::size_t>(d), Wide{} + 0.5);
  std::vector<Wide> theta(static_cast<std::size_t>(d));
  for (auto _ : state) {
    loopmc::kernels::solve_transposed(factor.data(), d, z.data(), theta.data(), d);
    benchmark::DoNotOptimize(theta.data());
  }
  state.SetItemsProcessed(state.iterations() * Lanes);
}

// Two packs, as a batch of two packs runs them (solve_transposed_group).
void BM_SolveLockstepPair(benchmark::State& state) {
  using loopmc::Pack;
  const int d = static_cast<int>(state.range(0));
  const Eigen::MatrixXd L = test_factor(d);
  std::vector<Pack> first(static_cast<std::size_t>(L.size()));
  for (Eigen::Index i = 0; i < L.size(); ++i) first[static_cast<std::size_t>(i)] = Pack{} + L.data()[i];
  const std::vector<Pack> second = first;
  std::vector<Pack> z(static_cast<std::size_t>(d), Pack{} + 0.5);
  std::vector<Pack> theta_first(static_cast<std::size_t>(d));
  std::vector<Pack> theta_second(static_cast<std::size_t>(d));
  const Pack* const factors[2] = {first.data(), second.data()};
  const Pack* const right_sides[2] = {z.data(), z.data()};
  Pack* const solutions[2] = {theta_first.data(), theta_second.data()};
  for (auto _ : state) {
    loopmc::kernels::solve_transposed_group(factors, right_sides, solutions, d, d);
    benchmark::DoNotOptimize(theta_first.data());
    benchmark::DoNotOptimize(theta_second.data());
  }
  state.SetItemsProcessed(state.iterations() * 2 * kLanes);
}

void BM_SolveNaive(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  const Eigen::MatrixXd L = test_factor(d);
  const Eigen::VectorXd B = Eigen::VectorXd::Random(d);
  Eigen::VectorXd theta(d);
  for (auto _ : state) {
    theta = B;
    L.triangularView<Eigen::Lower>().solveInPlace(theta);
    L.triangularView<Eigen::Lower>().transpose().solveInPlace(theta);
    benchmark::DoNotOptimize(theta.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_SolveScalar)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);
BENCHMARK(BM_SolveLockstep<4>)->ArgName("d")->Arg(25)->Arg(100);
BENCHMARK(BM_SolveLockstep<kLanes>)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);
BENCHMARK(BM_SolveLockstepPair)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);
BENCHMARK(BM_SolveNaive)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);

}  // namespace
