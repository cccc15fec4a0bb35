// The ODE limit: one right-hand side evaluation, and a whole integration to
// tau = 1000 (default tolerances rel 1e-8, abs 1e-10), for d = p q = 25.

#include "loopmc/job_inputs.hpp"
#include "loopmc/ode.hpp"

#include <benchmark/benchmark.h>

namespace {

// Figure 4a's kind of population: v_n, y_n(0) uniform on [0, 1]^5, w_k too but scaled to unit length.
loopmc::Model bench_model(int users, int products) {
  using loopmc::GeneratedInputs;
  using loopmc::InputMatrix;
  loopmc::Model model;
  model.users = users;
  model.products = products;
  model.user_dim = 5;
  model.product_dim = 5;
  model.V = loopmc::generate_inputs(GeneratedInputs{users, 5, 0.0, 1.0, false, {}, 11},
                                    InputMatrix::user_attributes);
  model.W = loopmc::generate_inputs(GeneratedInputs{products, 5, 0.0, 1.0, true, {}, 12},
                                    InputMatrix::product_attributes);
  model.Y0 = loopmc::generate_inputs(GeneratedInputs{users, 5, 0.0, 1.0, false, {}, 13},
                                     InputMatrix::initial_states);
  model.arrival = Eigen::VectorXd::Constant(users, 1.0 / users);
  model.a = 8.0;
  model.zeta = 1e-3;
  return model;
}

void BM_OdeRightHandSide(benchmark::State& state) {
  const loopmc::OdeSystem system(bench_model(static_cast<int>(state.range(0)),
                                             static_cast<int>(state.range(1))));
  const std::vector<double> x = system.initial_state();
  std::vector<double> dxdt(x.size());
  for (auto _ : state) {
    system(x, dxdt, 0.0);
    benchmark::DoNotOptimize(dxdt.data());
  }
}
BENCHMARK(BM_OdeRightHandSide)->Args({100, 10})->Args({10000, 100})->Unit(benchmark::kMicrosecond);

void BM_OdeToTau1000(benchmark::State& state) {
  const loopmc::OdeSystem system(bench_model(static_cast<int>(state.range(0)),
                                             static_cast<int>(state.range(1))));
  std::size_t evaluations = 0;
  for (auto _ : state) {
    double last = 0;
    loopmc::integrate_ode(system, system.initial_state(), {1000.0}, loopmc::OdeIntegration{},
                          [&](std::size_t, double, const std::vector<double>& x) { last = x.back(); });
    benchmark::DoNotOptimize(last);
    ++evaluations;
  }
  state.counters["integrations"] = static_cast<double>(evaluations);
}
BENCHMARK(BM_OdeToTau1000)->Args({100, 10})->Args({10000, 100})->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
