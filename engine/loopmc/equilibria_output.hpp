#pragma once
// The HDF5 file of `loopmc equilibria`; docs/ode-check.md documents its layout.

#include "loopmc/equilibria.hpp"
#include "loopmc/job.hpp"

#include <string>

namespace loopmc {

// Writes the job, its inputs and every equilibrium of `report` to `path`
// (truncating it), then the root attribute complete = 1. Throws h5::H5Error.
void write_equilibria_file(const Job& job, const EquilibriumSearch& search,
                           const EquilibriumReport& report, const std::string& path);

}  // namespace loopmc
