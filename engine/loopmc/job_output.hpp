#pragma once
// The job and model inputs as every loopmc output file stores them.

#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"

namespace loopmc {

// Writes /job (the resolved job text, name and source) and /inputs (V, W,
// lambda, Y0 and the scalar parameters), so that run, ODE and equilibria files
// keep them in the same place.
void write_job_and_inputs(const h5::File& file, const Job& job);

}  // namespace loopmc
