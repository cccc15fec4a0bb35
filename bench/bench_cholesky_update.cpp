// Rank-one update of the Cholesky factor with the right-hand side carried
// through the same rotations: one replica (scalar), kLanes replicas in lockstep
// (one per SIMD lane), two packs with their rows interleaved, and the naive
// baseline that refactors the dense S with Eigen's LLT. Items are replica
// updates, so items/s compare directly.

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

// Two packs rotated with their rows interleaved, as a batch of two packs
// runs them. Items are replica updates.
void BM_RotateLockstepPair(benchmark::State& state) {
  using loopmc::Pack;
  const int d = static_cast<int>(state.range(0));
  const Eigen::MatrixXd C = contexts(d);
  Pack scale_lanes;
  for (int lane = 0; lane < kLanes; ++lane) scale_lanes[lane] = 1.0 + 0.01 * lane;
  std::vector<Pack> L[2], z[2], x[2];
  for (int n = 0; n < 2; ++n) {
    L[n].assign(static_cast<std::size_t>(d) * d, Pack{});
    for (int i = 0; i < d; ++i) L[n][static_cast<std::size_t>(i) * d + i] = Pack{} + 0.1;
    z[n].assign(static_cast<std::size_t>(d), Pack{});
    x[n].resize(static_cast<std::size_t>(d));
  }
  Pack* const factors[2] = {L[0].data(), L[1].data()};
  Pack* const right_sides[2] = {z[0].data(), z[1].data()};
  Pack* const updates[2] = {x[0].data(), x[1].data()};
  const Pack rewards[2] = {Pack{} + 0.5, Pack{} + 0.25};
  int column = 0;
  for (auto _ : state) {
    for (int i = 0; i < d; ++i) {
      x[0][i] = C(i, column) * scale_lanes;
      x[1][i] = C(i, (column + 7) % 64) * scale_lanes;
    }
    loopmc::kernels::rotate_in_group(factors, d, right_sides, updates, rewards, d);
    benchmark::DoNotOptimize(factors[0]);
    benchmark::DoNotOptimize(factors[1]);
    column = (column + 1) % 64;
  }
  state.SetItemsProcessed(state.iterations() * 2 * kLanes);
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
BENCHMARK(BM_RotateLockstepPair)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);
BENCHMARK(BM_RefactorNaive)->ArgName("d")->Arg(6)->Arg(25)->Arg(100)->Arg(400);

}  // namespace
