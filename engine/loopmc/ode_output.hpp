#pragma once
// The ODE reference in HDF5: the /ode group that `run` adds to its result
// file, and the standalone file of `loopmc ode`, whose layout docs/output.md
// documents in "The ODE reference".

#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"
#include "loopmc/job_output.hpp"
#include "loopmc/ode.hpp"

#include <optional>
#include <string>

namespace loopmc {

// The ODE time to integrate to: `tau_end` when given, else the job's
// horizon.tau, else the ODE time of its horizon.steps under its schedule.
double ode_horizon(const Job& job, std::optional<double> tau_end);

OdeIntegration ode_integration(const Job& job);

// Integrates the ODE to the job's checkpoints and writes /ode/tau, /ode/y,
// /ode/theta, /ode/preference_counts and the group's attributes into `file`.
// Throws OdeError or h5::H5Error.
void write_ode_reference(const h5::File& file, const Job& job);

// write_ode_reference for `run`: an integration failure is logged as an error
// and leaves /ode out, so that the Monte Carlo results are kept. `loopmc check`
// then integrates the ODE itself. HDF5 errors propagate.
void write_ode_reference_or_log(const h5::File& file, const Job& job);

// Writes the standalone ODE file of `loopmc ode`: the job, its inputs, the
// checkpoints up to `tau_end`, the /ode group and the dense grid of
// job.ode.grid_points points on [0, tau_end], then the root attribute
// complete = 1. Truncates `path`. Throws OdeError or h5::H5Error.
void write_ode_file(const Job& job, double tau_end, const std::string& path);


}  // namespace loopmc
