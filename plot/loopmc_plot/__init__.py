"""Figures of loopmc result files: user states, simplex plot, preference counts
and the Monte Carlo-ODE distance. Run as `python3 -m loopmc_plot RESULT.h5`,
or through `loopmc plot`."""
