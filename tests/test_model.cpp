// Derived quantities, schedules, checkpoints and generated inputs.

#include "loopmc/job.hpp"
#include "loopmc/job_inputs.hpp"
#include "loopmc/model.hpp"

#include <doctest/doctest.h>

#include <cmath>

using loopmc::Schedule;
using loopmc::ScheduleKind;

TEST_CASE("gini coefficient of preference counts") {
  Eigen::VectorXi equal(4);
  equal << 5, 5, 5, 5;
  CHECK(loopmc::gini_coefficient(equal) == doctest::Approx(0.0));

  Eigen::VectorXi single(4);
  single << 0, 0, 20, 0;
  CHECK(loopmc::gini_coefficient(single) == doctest::Approx(3.0 / 4.0));

  // Mean absolute difference over pairs / (2 mean): values 1, 2, 3 give 2/9.
  Eigen::VectorXi ramp(3);
  ramp << 3, 1, 2;
  CHECK(loopmc::gini_coefficient(ramp) == doctest::Approx(2.0 / 9.0));
}

TEST_CASE("entropy of preference counts") {
  Eigen::VectorXi equal(4);
  equal << 2, 2, 2, 2;
  CHECK(loopmc::count_entropy(equal) == doctest::Approx(std::log(4.0)));
  Eigen::VectorXi single(3);
  single << 0, 7, 0;
  CHECK(loopmc::count_entropy(single) == doctest::Approx(0.0));
}

TEST_CASE("preferred product takes lowest index on ties") {
  Eigen::MatrixXd W(2, 3);
  W << 1, 0, 1,
       0, 1, 0;
  CHECK(loopmc::preferred_product(W, Eigen::Vector2d(1.0, 0.5)) == 0);
  CHECK(loopmc::preferred_product(W, Eigen::Vector2d(0.2, 0.5)) == 1);
}

TEST_CASE("harmonic tau equals direct sum") {
  Schedule schedule;
  schedule.kind = ScheduleKind::harmonic;
  schedule.t0 = 3.0;
  for (std::uint64_t t : {0ull, 1ull, 10ull, 64ull, 65ull, 1000ull, 123456ull}) {
    long double sum = 0;
    for (std::uint64_t s = 0; s < t; ++s) sum += 1.0L / (static_cast<long double>(s) + 3.0L);
    CAPTURE(t);
    CHECK(schedule.tau(t) == doctest::Approx(static_cast<double>(sum)).epsilon(1e-12));
  }
}

TEST_CASE("steps to reach tau invert tau") {
  Schedule harmonic;
  harmonic.kind = ScheduleKind::harmonic;
  harmonic.t0 = 1000.0;
  const std::uint64_t steps = harmonic.steps_to_reach(2.5, std::uint64_t{1} << 62);
  CHECK(harmonic.tau(steps) >= 2.5);
  CHECK(harmonic.tau(steps - 1) < 2.5);

  Schedule constant;
  constant.kind = ScheduleKind::constant;
  constant.gamma = 0.001;
  CHECK(constant.steps_to_reach(1000.0, std::uint64_t{1} << 62) == 1'000'000);

  // tau = 1000 under harmonic steps with t0 = 1 needs about e^1000 steps.
  harmonic.t0 = 1.0;
  CHECK(harmonic.steps_to_reach(1000.0, std::uint64_t{1} << 62) ==
        std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("checkpoints increase from zero to the horizon") {
  Schedule schedule;
  schedule.kind = ScheduleKind::constant;
  schedule.gamma = 0.01;
  for (auto spacing : {loopmc::CheckpointSpacing::log_steps, loopmc::CheckpointSpacing::even_tau}) {
    const auto steps = loopmc::checkpoint_steps(schedule, 100000, 30, spacing);
    CHECK(steps.front() == 0);
    CHECK(steps.back() == 100000);
    CHECK(steps.size() <= 30);
    for (std::size_t i = 1; i < steps.size(); ++i) CHECK(steps[i] > steps[i - 1]);
  }
  // Even in tau under a constant schedule means even in t.
  const auto even = loopmc::checkpoint_steps(schedule, 1000, 11, loopmc::CheckpointSpacing::even_tau);
  REQUIRE(even.size() == 11);
  CHECK(even[5] == 500);
}

TEST_CASE("generated attributes follow their spec") {
  loopmc::GeneratedInputs spec;
  spec.count = 50;
  spec.dim = 5;
  spec.unit_length = true;
  spec.last_coordinate = 1.0;
  spec.seed = 9;
  const Eigen::MatrixXd users = loopmc::generate_inputs(spec, loopmc::InputMatrix::user_attributes);
  CHECK(users.row(4).minCoeff() == 1.0);
  CHECK(users.row(4).maxCoeff() == 1.0);
  CHECK(users.topRows(4).minCoeff() >= 0.0);

  spec.last_coordinate.reset();
  const Eigen::MatrixXd products = loopmc::generate_inputs(spec, loopmc::InputMatrix::product_attributes);
  for (int k = 0; k < products.cols(); ++k) CHECK(products.col(k).norm() == doctest::Approx(1.0));

  // Different matrices and seeds draw different numbers; the same spec repeats exactly.
  CHECK(products != loopmc::generate_inputs(spec, loopmc::InputMatrix::user_attributes));
  CHECK(products == loopmc::generate_inputs(spec, loopmc::InputMatrix::product_attributes));
}

TEST_CASE("angles give unit product attributes") {
  const Eigen::MatrixXd W = loopmc::attributes_from_angles({0.0, 90.0});
  CHECK(W(0, 0) == doctest::Approx(1.0));
  CHECK(W(1, 1) == doctest::Approx(1.0));
  CHECK(std::abs(W(0, 1)) < 1e-15);
}

TEST_CASE("override replaces alternative horizon key") {
  const std::string text = loopmc::default_job_toml();
  const loopmc::Job job = loopmc::parse_job(text, "override test", {"horizon.steps=77"});
  CHECK(job.run.steps == 77);
  CHECK_FALSE(job.run.tau_end.has_value());
}
