// The ODE limit: the structured right-hand side against the formula with
// explicit Kronecker products, a closed-form solution, and the end states of
// the jobs/fig3a-c.toml and jobs/fig4b.toml settings at tau = 1000.

#include "loopmc/job.hpp"
#include "loopmc/ode.hpp"
#include "loopmc/ode_output.hpp"

#include <doctest/doctest.h>

#include <Eigen/Dense>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace loopmc;

namespace {

Eigen::MatrixXd kronecker(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  Eigen::MatrixXd result(A.rows() * B.rows(), A.cols() * B.cols());
  for (Eigen::Index i = 0; i < A.rows(); ++i) {
    for (Eigen::Index j = 0; j < A.cols(); ++j) {
      result.block(i * B.rows(), j * B.cols(), B.rows(), B.cols()) = A(i, j) * B;
    }
  }
  return result;
}

Model random_model(int N, int K, int p, int q, double a, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  auto random_matrix = [&](int rows, int cols) {
    Eigen::MatrixXd M(rows, cols);
    for (Eigen::Index i = 0; i < M.size(); ++i) M.data()[i] = normal(rng);
    return M;
  };
  Model model;
  model.users = N;
  model.products = K;
  model.user_dim = p;
  model.product_dim = q;
  model.V = random_matrix(p, N);
  model.W = random_matrix(q, K);
  model.Y0 = random_matrix(q, N);
  model.arrival = random_matrix(N, 1).col(0).cwiseAbs();
  model.arrival /= model.arrival.sum();
  model.a = a;
  model.zeta = 0.01;
  model.schedule.rho = 0.7;
  return model;
}

// The right-hand side summed over every (n, k) with d-dimensional contexts
// C_nk = v_n (x) w_k, as the model states it.
std::vector<double> brute_force_derivative(const Model& m, const std::vector<double>& x) {
  const int d = m.dim();
  const Eigen::Map<const Eigen::VectorXd> b(x.data(), d);
  const Eigen::Map<const Eigen::MatrixXd> s(x.data() + d, d, d);
  const Eigen::Map<const Eigen::MatrixXd> Y(x.data() + d + d * d, m.product_dim, m.users);
  const Eigen::VectorXd theta = s.llt().solve(b);

  Eigen::VectorXd db = -b;
  Eigen::MatrixXd ds = -s;
  Eigen::MatrixXd dy(m.product_dim, m.users);
  for (int n = 0; n < m.users; ++n) {
    Eigen::VectorXd scores(m.products);
    for (int k = 0; k < m.products; ++k) {
      scores[k] = m.a * kronecker(m.V.col(n), m.W.col(k)).col(0).dot(theta);
    }
    Eigen::VectorXd P = (scores.array() - scores.maxCoeff()).exp();
    P /= P.sum();
    for (int k = 0; k < m.products; ++k) {
      const Eigen::VectorXd context = kronecker(m.V.col(n), m.W.col(k)).col(0);
      db += m.arrival[n] * P[k] * m.W.col(k).dot(Y.col(n)) * context;
      ds += m.arrival[n] * P[k] * context * context.transpose();
    }
    dy.col(n) = m.schedule.rho * m.arrival[n] * (m.W * P - Y.col(n));
  }
  std::vector<double> result(x.size());
  Eigen::Map<Eigen::VectorXd>(result.data(), d) = db;
  Eigen::Map<Eigen::MatrixXd>(result.data() + d, d, d) = ds;
  Eigen::Map<Eigen::MatrixXd>(result.data() + d + d * d, m.product_dim, m.users) = dy;
  return result;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  REQUIRE_MESSAGE(file.good(), "cannot open " << path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

Job figure_job(const std::string& name, const std::vector<std::string>& overrides = {}) {
  const std::string path = std::string(LOOPMC_SOURCE_DIR) + "/jobs/" + name + ".toml";
  return parse_job(read_text(path), path, overrides);
}

// y(tau) of a job's ODE, q x N, with tight tolerances.
Eigen::MatrixXd ode_states_at(const Job& job, double tau) {
  const OdeSystem system(job.model);
  Eigen::MatrixXd Y;
  integrate_ode(system, system.initial_state(), {tau}, OdeIntegration{1e-9, 1e-11},
                [&](std::size_t, double, const std::vector<double>& x) { Y = system.y(x.data()); });
  return Y;
}

}  // namespace

TEST_CASE("structured right-hand side equals the Kronecker formula") {
  std::mt19937_64 rng(7);
  const int shapes[][4] = {{5, 4, 2, 3}, {3, 3, 3, 2}, {6, 7, 3, 3}, {4, 2, 1, 2}};
  for (const auto& shape : shapes) {
    const Model model = random_model(shape[0], shape[1], shape[2], shape[3], 1.3, rng);
    const OdeSystem system(model);
    std::vector<double> x = system.initial_state();
    // A state with a non-trivial theta: b random, s = zeta I + a random Gram matrix.
    const int d = model.dim();
    std::normal_distribution<double> normal(0.0, 1.0);
    Eigen::MatrixXd A(d, d + 2);
    for (Eigen::Index i = 0; i < A.size(); ++i) A.data()[i] = normal(rng);
    Eigen::Map<Eigen::MatrixXd>(x.data() + d, d, d) += A * A.transpose() / d;
    for (int i = 0; i < d; ++i) x[static_cast<std::size_t>(i)] = normal(rng);

    std::vector<double> structured(x.size());
    system(x, structured, 0.0);
    const std::vector<double> expected = brute_force_derivative(model, x);
    double scale = 0;
    for (double value : expected) scale = std::max(scale, std::abs(value));
    for (std::size_t i = 0; i < x.size(); ++i) {
      CAPTURE(i);
      CHECK(std::abs(structured[i] - expected[i]) <= 1e-12 * scale);
    }
  }
}

TEST_CASE("uniform recommendations follow the closed form") {
  std::mt19937_64 rng(11);
  Model m = random_model(4, 3, 2, 2, 0.0, rng);  // a = 0: every P_n is uniform
  const double tau = 3.0;
  const OdeSystem system(m);
  std::vector<double> x_end;
  integrate_ode(system, system.initial_state(), {0.0, tau}, OdeIntegration{1e-11, 1e-13},
                [&](std::size_t, double, const std::vector<double>& x) { x_end = x; });

  // y_n = wbar + (y_n(0) - wbar) e^{-r_n tau}, r_n = rho lambda_n.
  const Eigen::VectorXd wbar = m.W.rowwise().mean();
  const Eigen::MatrixXd M = m.W * m.W.transpose() / m.products;
  const double decay = std::exp(-tau);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(m.dim());
  Eigen::MatrixXd s = m.zeta * decay * Eigen::MatrixXd::Identity(m.dim(), m.dim());
  for (int n = 0; n < m.users; ++n) {
    const double rate = m.schedule.rho * m.arrival[n];
    const Eigen::VectorXd offset = m.Y0.col(n) - wbar;
    const Eigen::VectorXd y = wbar + offset * std::exp(-rate * tau);
    CHECK((system.y(x_end.data()).col(n) - y).norm() < 1e-8);
    // b solves b' = f - b with f = lambda_n v_n (x) M y_n(tau), from b(0) = 0.
    const Eigen::VectorXd integral = wbar * (1 - decay) +
                                     offset * (std::exp(-rate * tau) - decay) / (1 - rate);
    b += m.arrival[n] * kronecker(m.V.col(n), M * integral).col(0);
    s += m.arrival[n] * (1 - decay) * kronecker(m.V.col(n) * m.V.col(n).transpose(), M);
  }
  CHECK((system.b(x_end.data()) - b).norm() < 1e-8);
  CHECK((system.s(x_end.data()) - s).norm() < 1e-8);
}

TEST_CASE("figure 3a keeps each user's preferred product") {
  const Job job = figure_job("fig3a");
  const Eigen::MatrixXd Y = ode_states_at(job, 1000.0);
  for (int n = 0; n < job.model.users; ++n) {
    CAPTURE(n);
    CHECK(preferred_product(job.model.W, Y.col(n)) ==
          preferred_product(job.model.W, job.model.Y0.col(n)));
  }
}

TEST_CASE("figure 3b ends in consensus") {
  const Job job = figure_job("fig3b");
  const Eigen::MatrixXd Y = ode_states_at(job, 1000.0);
  CHECK((Y.col(0) - Y.col(1)).norm() < 1e-3);
  CHECK((Y.col(0) - Y.col(2)).norm() < 1e-3);
  CHECK((Y.col(1) - Y.col(2)).norm() < 1e-3);
}

TEST_CASE("figure 3c joins users 2 and 3 only") {
  const Job job = figure_job("fig3c");
  const Eigen::MatrixXd Y = ode_states_at(job, 1000.0);
  CHECK((Y.col(1) - Y.col(2)).norm() < 1e-3);
  CHECK((Y.col(0) - Y.col(1)).norm() > 0.1);
}

TEST_CASE("figure 4b ends with one preferred product") {
  const Job job = figure_job("fig4b");
  const Eigen::MatrixXd Y = ode_states_at(job, 1000.0);
  const int first = preferred_product(job.model.W, Y.col(0));
  int agreeing = 0;
  for (int n = 0; n < job.model.users; ++n) agreeing += preferred_product(job.model.W, Y.col(n)) == first;
  CHECK(agreeing == job.model.users);
}

TEST_CASE("ode horizon follows the documented order") {
  const Job by_tau = figure_job("fig3a");
  CHECK(ode_horizon(by_tau, 12.5) == 12.5);
  CHECK(ode_horizon(by_tau, std::nullopt) == 1000.0);
  const Job by_steps = figure_job("fig2");
  CHECK(ode_horizon(by_steps, std::nullopt) == doctest::Approx(by_steps.model.schedule.tau(2'000'000)));
}
