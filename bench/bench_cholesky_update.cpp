// Rank-one update of the Cholesky factor with the right-hand side carried
// through the same rotations: one replica (scalar), kLanes replicas in lockstep
// (one per SIMD lane), and the naive baseline that refactors the dense S with
// Eigen's LLT. Items are replica updates, so items/s compare directly.

#include "bench_support.hpp"
#include "loopmc/cholesky_kernels.hpp"
#include "loopmc/lockstep_learner.hpp"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

constexpr int kLanes = loopmc::kLanes;

// Unit-length contexts, cycled so that generating them costs nothing in the loop.
Eigen::MatrixXd contexts(int d) {
  Eigen::MatrixXd C = Eigen::MatrixXd::Random(d, 64);
  C.colwise().normalize();
  return C;
}

template <class T>
void rotate_loop(benchmark::State& state, T scale_lane) {
  const int d = static_cast<int>(state.range(0));
  const Eigen::MatrixXd C = contexts(d);
  std::vector<T> L(static_cast<std::size_t>(d) * d, T{});
  for (int i = 0; i < d; ++i) L[static_cast<std::size_t>(i) * d + i] = T{} + 0.1;
  std::vector<T> z(static_cast<std::size_t>(d), T{});
  std::vector<T> x(static_cast<std::size_t>(d));
  int column = 0;
  for (auto _ : state) {
    for (int i = 0; i < d; ++i) x[i] = C(i, column) * scale_lane;
    loopmc::kernels::rotate_in(L.data(), d, z.data(), x.data(), T{} + 0.5, d);
    benchmark::DoNotOptimize(L.data());
    column = (column + 1) % 64;
  }
}

void BM_RotateScalar(benchmark::State& state) {
  rotate_loop<double>(state, 1.0);
  state.SetItemsProcessed(state.iterations());
}

// Lanes get different contexts, as different replicas would. A width of 4
// shows whether a narrower pack would pay.
template <int Lanes>
void BM_RotateLockstep(benchmark::State& state) {
  using Wide = loopmc::DoubleVector<Lanes>;
  Wide scale_lanes;
  for (int lane = 0; lane < Lanes; ++lane) scale_lanes[lane] = 1.0 + 0.01 * lane;
  rotate_loop<Wide>(state, scale_lanes);
  state.SetItemsProcessed(state.iterations() * Lanes);
}

void BM_RefactorNaive(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  const Eigen::MatrixXd C = contexts(d);
  Eigen::MatrixXd S = 0.01 * Eigen::MatrixXd::Identity(d, d);
  Eigen::LLT<Eigen::MatrixXd> llt(d);
  int column = 0;
  for (auto _ : state) {
    S.selfadjointView<Eigen::Lower>().rankUpdate(C.col(column), 1.0);
    llt.compute(S);
    benchmark::DoNotOptimize(llt.matrixLLT().data());
    column = (column + 1) % 64;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_RotateScalar)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);
BENCHMARK(BM_RotateLockstep<4>)->ArgName("d")->Arg(25)->Arg(100);
BENCHMARK(BM_RotateLockstep<kLanes>)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);
BENCHMARK(BM_RefactorNaive)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);

}  // namespace
