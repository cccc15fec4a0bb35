#include "loopmc/job_output.hpp"

#include <cstdint>
#include <string>

namespace loopmc {

namespace {
hsize_t as_size(int value) { return static_cast<hsize_t>(value); }
}  // namespace

void write_job_and_inputs(const h5::File& file, const Job& job) {
  const Model& m = job.model;
  h5::write_string_dataset(file, "/job/toml", job.resolved_toml);
  h5::write_attribute(file, "/job", "name", job.name);
  h5::write_attribute(file, "/job", "source", job.source);
  // Eigen stores columns contiguously, so a p x N matrix is an [N, p] row-major array.
  h5::write_dataset(file, "/inputs/V", {as_size(m.users), as_size(m.user_dim)}, m.V.data());
  h5::write_dataset(file, "/inputs/W", {as_size(m.products), as_size(m.product_dim)}, m.W.data());
  h5::write_dataset(file, "/inputs/lambda", {as_size(m.users)}, m.arrival.data());
  h5::write_dataset(file, "/inputs/Y0", {as_size(m.users), as_size(m.product_dim)}, m.Y0.data());
  h5::write_attribute(file, "/inputs", "a", m.a);
  h5::write_attribute(file, "/inputs", "zeta", m.zeta);
  h5::write_attribute(file, "/inputs", "sigma", m.sigma);
  h5::write_attribute(file, "/inputs", "rho", m.schedule.rho);
  h5::write_attribute(file, "/inputs", "schedule",
                      std::string(m.schedule.kind == ScheduleKind::harmonic ? "harmonic" : "constant"));
  h5::write_attribute(file, "/inputs", "t0", m.schedule.t0);
  h5::write_attribute(file, "/inputs", "gamma", m.schedule.gamma);
  h5::write_attribute(file, "/inputs", "seed", static_cast<std::int64_t>(job.run.seed));
}

}  // namespace loopmc
