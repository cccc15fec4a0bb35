#include "loopmc/result_file.hpp"

#include "loopmc/job_output.hpp"

#include "loopmc/version.hpp"

#include <spdlog/fmt/chrono.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace loopmc {

namespace {

using h5::Dims;

hsize_t as_size(std::uint64_t value) { return static_cast<hsize_t>(value); }

// Chunk shape for an [R, T, ...] dataset: one replica, all checkpoints, the
// rest whole, shrunk along T until a chunk stays under about 4 MiB.
Dims replica_chunk(const Dims& dims) {
  Dims chunk = dims;
  chunk[0] = 1;
  auto bytes = [&] {
    hsize_t total = 8;
    for (hsize_t extent : chunk) total *= extent;
    return total;
  };
  while (chunk.size() > 1 && chunk[1] > 1 && bytes() > (hsize_t{4} << 20)) {
    chunk[1] = (chunk[1] + 1) / 2;
  }
  return chunk;
}

// The [R, T] float64 series of a record, by dataset name.
template <typename Record>
auto record_series(Record& record) {
  using Series = decltype(&record.dispersion);
  return std::array<std::pair<const char*, Series>, 6>{{{"dispersion", &record.dispersion},
                                                        {"residual", &record.residual},
                                                        {"loss", &record.loss},
                                                        {"drift", &record.drift},
                                                        {"gini", &record.gini},
                                                        {"entropy", &record.entropy}}};
}

// Test hook: with LOOPMC_TEST_KILL_AT set to one of the points below, the
// process kills itself with SIGKILL when it reaches that point, so that tests
// can die at exact places inside a write. Points: "records:R" (replica R's
// records written, its finished flag not yet), "publish" (just before the
// rename), "finish" (summary written, complete mark not yet).
void test_kill_point(const std::string& point) {
  static const char* const requested = std::getenv("LOOPMC_TEST_KILL_AT");
  if (requested != nullptr && point == requested) std::raise(SIGKILL);
}

}  // namespace

std::size_t OutputLayout::user_state_values(const Job& job) const {
  return job.run.checkpoints.size() * static_cast<std::size_t>(job.model.users) *
         static_cast<std::size_t>(job.model.product_dim);
}

OutputLayout choose_layout(const Job& job) {
  OutputLayout layout;
  const double per_checkpoint_states = static_cast<double>(job.model.users) * job.model.product_dim;
  const double summary_values = per_checkpoint_states * static_cast<double>(job.run.checkpoints.size());
  const double replica_values = summary_values * static_cast<double>(job.run.replicas);
  const auto limit = static_cast<double>(job.output.max_user_state_values);
  switch (job.output.user_states) {
    case UserStateOutput::all:
      layout.replica_user_states = true;
      layout.summary_user_states = true;
      break;
    case UserStateOutput::none:
      break;
    case UserStateOutput::automatic:
      layout.replica_user_states = replica_values <= limit;
      layout.summary_user_states = summary_values <= limit;
      break;
  }
  return layout;
}

OutputLayout shard_layout(const Job& job) {
  OutputLayout layout = choose_layout(job);
  layout.replica_user_states = layout.replica_user_states || layout.summary_user_states;
  layout.summary_user_states = false;
  return layout;
}

std::uint64_t estimated_file_bytes(const Job& job, const OutputLayout& layout) {
  const Model& m = job.model;
  const double R = static_cast<double>(job.run.replicas);
  const double T = static_cast<double>(job.run.checkpoints.size());
  const double states = static_cast<double>(m.users) * m.product_dim;
  const double d = m.dim();

  // Uncompressed data. Deflate gains little on simulated doubles, and loses at
  // most a few bytes per chunk on data it cannot compress.
  double bytes = R * T * (4.0 * m.products + 8 * (6 + d)) + R;  // per-replica records, finished
  if (layout.replica_user_states) bytes += 8 * R * T * states;
  if (layout.summary_user_states) bytes += 16 * T * states;
  bytes += 16 * T * d + 16 * T;                                    // summary theta, checkpoints
  bytes += 8.0 * m.users * (m.user_dim + m.product_dim + 1) + 8.0 * m.products * m.product_dim;
  if (job.ode.enabled) bytes += T * (8 * (states + d + 1) + 4.0 * m.products);

  // Chunk index entries and compression headers: about 48 bytes per chunk.
  // Every per-replica dataset has at least one chunk per replica (the
  // chunk-shape rule splits large [T, ...] blocks further), `finished` too.
  const double datasets = 9 + (layout.replica_user_states ? 1 : 0);
  const double replica_block_bytes = 8 * T * std::max({d, states, 1.0});
  const double chunks_per_replica = std::ceil(replica_block_bytes / (4 << 20)) + 1;
  bytes += 48 * R * datasets * chunks_per_replica;
  return static_cast<std::uint64_t>(bytes + 1'000'000);  // object headers, job text, metadata
}

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
}

std::string partial_path(const std::string& path) { return path + ".partial"; }

ResultWriter::ResultWriter(const Job& job, const OutputLayout& layout)
    : job_(job), layout_(layout),
      file_(h5::File::create(partial_path(job.output.file), /*swmr_format=*/true)) {
  h5::write_attribute(file_, "/", "complete", std::int64_t{0});
  h5::write_attribute(file_, "/", "format", std::string("loopmc-result-1"));
  h5::write_attribute(file_, "/", "loopmc_version", std::string(version()));
  h5::write_attribute(file_, "/", "git_revision", std::string(git_revision()));
  h5::write_attribute(file_, "/", "build_type", std::string(build_type()));
  write_job_and_inputs(file_, job);
  write_checkpoints();
  create_replica_datasets();
  file_.flush();
  file_.start_swmr_write();
}

ResultWriter::~ResultWriter() {
  if (published_) return;
  const std::string path = file_.path();
  try {
    file_.close();
  } catch (const h5::H5Error& error) {
    spdlog::warn("closing the unpublished file {} failed: {}", path, error.what());
  }
  std::error_code error;
  if (std::filesystem::remove(path, error)) {
    spdlog::info("removed the unpublished file {}", path);
  } else if (error) {
    spdlog::warn("could not remove the unpublished file {}: {}", path, error.message());
  }
}

void ResultWriter::publish() {
  file_.flush();
  test_kill_point("publish");
  file_.rename(job_.output.file);
  published_ = true;
}

void ResultWriter::write_checkpoints() {
  const Model& m = job_.model;
  const auto& steps = job_.run.checkpoints;
  std::vector<double> tau(steps.size());
  std::transform(steps.begin(), steps.end(), tau.begin(),
                 [&](std::uint64_t t) { return m.schedule.tau(t); });
  h5::write_dataset(file_, "/checkpoints/t", {as_size(steps.size())}, steps.data());
  h5::write_dataset(file_, "/checkpoints/tau", {as_size(tau.size())}, tau.data());
}

void ResultWriter::create_replica_datasets() {
  const Model& m = job_.model;
  const hsize_t R = job_.run.replicas;
  const hsize_t T = job_.run.checkpoints.size();
  auto create = [&](const std::string& name, hid_t type, const Dims& dims) {
    h5::create_dataset(file_, "/replicas/" + name, type, dims, replica_chunk(dims));
  };
  create("preference_counts", H5T_NATIVE_INT32, {R, T, as_size(m.products)});
  for (const char* name : {"dispersion", "residual", "loss", "drift", "gini", "entropy"}) {
    create(name, H5T_NATIVE_DOUBLE, {R, T});
  }
  create("theta", H5T_NATIVE_DOUBLE, {R, T, as_size(m.dim())});
  if (layout_.replica_user_states) {
    create("user_states", H5T_NATIVE_DOUBLE, {R, T, as_size(m.users), as_size(m.product_dim)});
  }
  create("finished", H5T_NATIVE_UINT8, {R});
}

void ResultWriter::write_records(const ReplicaRecord& record) {
  const Model& m = job_.model;
  const hsize_t r = record.replica;
  const hsize_t T = job_.run.checkpoints.size();
  const std::string prefix = "/replicas/";

  // Eigen's K x T column-major layout is the [T, K] row-major block of this replica.
  h5::write_block(file_, prefix + "preference_counts", {r, 0, 0}, {1, T, as_size(m.products)},
                  record.preference_counts.data());
  for (const auto& [name, values] : record_series(record)) {
    h5::write_block(file_, prefix + name, {r, 0}, {1, T}, values->data());
  }
  h5::write_block(file_, prefix + "theta", {r, 0, 0}, {1, T, as_size(m.dim())},
                  record.theta.data());
  if (layout_.replica_user_states) {
    h5::write_block(file_, prefix + "user_states", {r, 0, 0, 0},
                    {1, T, as_size(m.users), as_size(m.product_dim)}, record.user_states.data());
  }
}

void ResultWriter::mark_finished(std::uint64_t replica) {
  const std::uint8_t finished = 1;
  h5::write_block(file_, "/replicas/finished", {replica}, {1}, &finished);
}

void ResultWriter::flush(const std::string& context) {
  try {
    file_.flush();
  } catch (const h5::H5Error& error) {
    throw h5::H5Error(fmt::format("{} (while flushing {} to {})", error.what(), context,
                                  file_.path()));
  }
}

void ResultWriter::write_replica(const ReplicaRecord& record) {
  // The finished flag goes last and is flushed with the rest, so a replica
  // marked finished always has all of its records on disk.
  write_records(record);
  test_kill_point(fmt::format("records:{}", record.replica));
  flush(fmt::format("the records of replica {} under /replicas", record.replica));
  mark_finished(record.replica);
  flush(fmt::format("/replicas/finished of replica {}", record.replica));
  spdlog::debug("replica {} written to {}", record.replica, file_.path());
}

std::vector<std::uint64_t> ResultWriter::copy_replicas(const h5::File& previous,
                                                       const std::vector<std::uint64_t>& replicas) {
  std::vector<std::uint64_t> copied;
  for (const std::uint64_t r : replicas) {
    ReplicaRecord record;
    try {
      record = read_replica_record(previous, job_, layout_, r);
    } catch (const h5::H5Error& error) {
      spdlog::warn("replica {} is marked finished in {} but cannot be read, so it runs again: {}",
                   r, previous.path(), error.what());
      continue;
    }
    write_records(record);
    copied.push_back(r);
  }
  // As in write_replica: the records reach the disk before the flags that vouch for them.
  flush("the copied replicas' records under /replicas");
  for (const std::uint64_t r : copied) mark_finished(r);
  flush("/replicas/finished of the copied replicas");
  return copied;
}

ReplicaRecord ResultWriter::read_replica(std::uint64_t replica) const {
  return read_replica_record(file_, job_, layout_, replica);
}

ReplicaRecord read_replica_record(const h5::File& file, const Job& job, const OutputLayout& layout,
                                  std::uint64_t replica) {
  const Model& m = job.model;
  const auto T = static_cast<Eigen::Index>(job.run.checkpoints.size());
  const hsize_t r = replica;
  const auto count = static_cast<hsize_t>(T);
  const std::string prefix = "/replicas/";

  ReplicaRecord record;
  record.replica = replica;
  const auto counts = h5::read_block<std::int32_t>(file, prefix + "preference_counts", {r, 0, 0},
                                                   {1, count, as_size(m.products)});
  record.preference_counts = Eigen::Map<const Eigen::MatrixXi>(counts.data(), m.products, T);
  for (const auto& [name, values] : record_series(record)) {
    const auto stored = h5::read_block<double>(file, prefix + name, {r, 0}, {1, count});
    *values = Eigen::Map<const Eigen::VectorXd>(stored.data(), T);
  }
  const auto theta = h5::read_block<double>(file, prefix + "theta", {r, 0, 0},
                                            {1, count, as_size(m.dim())});
  record.theta = Eigen::Map<const Eigen::MatrixXd>(theta.data(), m.dim(), T);
  if (layout.replica_user_states) {
    record.user_states = h5::read_block<double>(
        file, prefix + "user_states", {r, 0, 0, 0},
        {1, count, as_size(m.users), as_size(m.product_dim)});
  }
  return record;
}

void ResultWriter::finish(const ReplicaSummary& summary, const RunMetadata& metadata,
                          const std::function<void(const h5::File&)>& write_extra) {
  // Leave single-writer mode: attributes and new datasets need a normal open.
  file_.close();
  file_ = h5::File::open(job_.output.file, h5::File::Mode::read_write);

  const Model& m = job_.model;
  const hsize_t T = job_.run.checkpoints.size();
  const hsize_t d = as_size(m.dim());
  h5::write_dataset(file_, "/summary/theta_mean", {T, d}, summary.theta_mean().data());
  h5::write_dataset(file_, "/summary/theta_var", {T, d}, summary.theta_variance().data());
  if (summary.has_user_states()) {
    const Dims dims{T, as_size(m.users), as_size(m.product_dim)};
    h5::write_dataset(file_, "/summary/Y_mean", dims, summary.user_state_mean().data());
    h5::write_dataset(file_, "/summary/Y_var", dims, summary.user_state_variance().data());
  }
  h5::write_attribute(file_, "/summary", "replicas", static_cast<std::int64_t>(summary.next_replica()));

  h5::create_groups_for(file_, "/metadata/x");
  h5::write_attribute(file_, "/metadata", "version", std::string(version()));
  h5::write_attribute(file_, "/metadata", "git_revision", std::string(git_revision()));
  h5::write_attribute(file_, "/metadata", "build_type", std::string(build_type()));
  h5::write_attribute(file_, "/metadata", "start_time", metadata.start_time);
  h5::write_attribute(file_, "/metadata", "end_time", metadata.end_time);
  h5::write_attribute(file_, "/metadata", "threads", static_cast<std::int64_t>(metadata.threads));
  h5::write_attribute(file_, "/metadata", "seconds", metadata.seconds);
  h5::write_attribute(file_, "/metadata", "replica_steps_per_second",
                      metadata.replica_steps_per_second);

  if (write_extra) write_extra(file_);
  test_kill_point("finish");

  file_.flush();
  h5::write_attribute(file_, "/", "complete", std::int64_t{1});
  file_.close();
}

}  // namespace loopmc
