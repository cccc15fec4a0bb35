#!/usr/bin/env bash
# Example Slurm batch script: one loopmc run split among 4 nodes x 2 MPI ranks,
# each rank running its block of replicas on 16 OpenMP threads.
# docs/cluster.md explains each choice. Adjust the header to your cluster
# (partition, account, time) and submit with: sbatch jobs/slurm-example.sh
#
#SBATCH --job-name=loopmc-fig3b
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=2
#SBATCH --cpus-per-task=16
#SBATCH --mem=0
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=loopmc-%j.log

set -euo pipefail

# The program, the job file and the result file. The result file and the
# shard files beside it (OUTPUT.rank-M.h5) must be on a file system shared by
# all nodes, because rank 0 reads the shards at the end.
LOOPMC=${LOOPMC:-$HOME/loopmc/build/engine/loopmc}
JOB=${JOB:-$HOME/loopmc/jobs/fig3b.toml}
OUTPUT=${OUTPUT:-$PWD/fig3b.h5}

# One OpenMP thread per CPU that Slurm gives each task, bound to its cores.
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PROC_BIND=close
export OMP_PLACES=cores

# --resume continues the run in OUTPUT: a fresh start when it does not exist,
# the unfinished replicas after a preemption or requeue, nothing when it is
# complete. --threads 0 lets each rank use OMP_NUM_THREADS threads.
# mpirun of Open MPI reads the node list and task counts from the Slurm
# allocation; --map-by and --bind-to give each rank its own cores.
mpirun --map-by "ppr:${SLURM_NTASKS_PER_NODE:-1}:node:PE=${OMP_NUM_THREADS}" --bind-to core \
  "$LOOPMC" run "$JOB" --out "$OUTPUT" --threads 0 --resume
