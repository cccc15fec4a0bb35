#include "loopmc/h5.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace loopmc::h5 {

namespace {

herr_t collect_error(unsigned depth, const H5E_error2_t* error, void* client) {
  auto* text = static_cast<std::string*>(client);
  if (depth > 0) *text += "; ";
  *text += fmt::format("{}() {}", error->func_name ? error->func_name : "?",
                       error->desc ? error->desc : "");
  return 0;
}

std::string error_stack() {
  std::string text;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &text);
  H5Eclear2(H5E_DEFAULT);
  return text.empty() ? "no HDF5 error stack" : text;
}

std::string where(const File& file, const std::string& path) {
  return fmt::format("'{}' in {}", path, file.path());
}

Handle open_object(const File& file, const std::string& path) {
  return Handle(check_id(H5Oopen(file.id(), path.c_str(), H5P_DEFAULT),
                         "open object " + where(file, path)));
}

Handle open_dataset(const File& file, const std::string& path) {
  return Handle(check_id(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT),
                         "open dataset " + where(file, path)));
}

// Closes a dataset that was written to. Closing writes the dataset's cached
// chunks, so this is where a full disk shows up for chunked datasets.
void close_written_dataset(Handle& dataset, const File& file, const std::string& path) {
  check(H5Dclose(dataset.release()), "write dataset " + where(file, path));
}

Handle make_space(const Dims& dims) {
  if (dims.empty()) return Handle(check_id(H5Screate(H5S_SCALAR), "create a scalar dataspace"));
  return Handle(check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                         "create a dataspace"));
}

void remove_attribute_if_present(hid_t object, const std::string& name) {
  if (H5Aexists(object, name.c_str()) > 0) {
    check(H5Adelete(object, name.c_str()), "delete attribute " + name);
  }
}

Handle string_type(std::size_t length) {
  Handle type(check_id(H5Tcopy(H5T_C_S1), "copy the string type"));
  check(H5Tset_size(type.id(), std::max<std::size_t>(length, 1)), "set the string size");
  check(H5Tset_strpad(type.id(), H5T_STR_NULLTERM), "set the string padding");
  return type;
}

// A writer that died outside single-writer mode leaves the superblock's
// write-access flag set, and HDF5 1.10 then rejects both plain and SWMR opens.
// HDF5's h5clear tool opens such files with the file-access property
// "clear_status_flags"; with read-only access the file itself is not changed.
// NOTE: that property is HDF5-internal (set by name, checked in 1.10.8), not
// part of the documented API, so a later HDF5 may drop it.
hid_t open_ignoring_status_flags(const std::string& path) {
  Handle access(H5Pcreate(H5P_FILE_ACCESS));
  hbool_t clear = 1;
  if (!access.valid() || H5Pset(access.id(), "clear_status_flags", &clear) < 0) {
    return H5I_INVALID_HID;
  }
  return H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.id());
}

}  // namespace

void silence_library_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void check(herr_t status, const std::string& action) {
  if (status < 0) throw H5Error(fmt::format("Unable to {}: {}", action, error_stack()));
}

hid_t check_id(hid_t id, const std::string& action) {
  if (id < 0) throw H5Error(fmt::format("Unable to {}: {}", action, error_stack()));
  return id;
}

void Handle::close() noexcept {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: H5Oclose(id_); break;
  }
  id_ = H5I_INVALID_HID;
}

File File::create(const std::string& path, bool swmr_format) {
  Handle access(check_id(H5Pcreate(H5P_FILE_ACCESS), "create file access properties"));
  if (swmr_format) {
    check(H5Pset_libver_bounds(access.id(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST),
          "select the latest file format");
  }
  const hid_t id = check_id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.id()),
                            "create file " + path);
  return File(Handle(id), path);
}

File File::open(const std::string& path, Mode mode) {
  if (mode == Mode::read_write) {
    const hid_t id = check_id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                              "open file " + path + " for writing");
    return File(Handle(id), path);
  }
  // A file whose single-writer run died still carries the writer's mark;
  // opening it as a SWMR reader is what HDF5 allows then.
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id >= 0) return File(Handle(id), path);

  // Keep the plain open's error: it names the cause (e.g. a truncated file),
  // while the fallbacks below fail for their own reasons.
  const std::string plain_error = error_stack();
  id = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
  if (id < 0) {
    H5Eclear2(H5E_DEFAULT);
    id = open_ignoring_status_flags(path);
  }
  if (id < 0) {
    H5Eclear2(H5E_DEFAULT);
    throw H5Error(fmt::format("Unable to open file {} for reading: {}", path, plain_error));
  }
  return File(Handle(id), path);
}

void File::start_swmr_write() {
  check(H5Fstart_swmr_write(id()), "start single-writer mode on " + path_);
}

void File::flush() { check(H5Fflush(id(), H5F_SCOPE_GLOBAL), "flush " + path_); }

void File::rename(const std::string& new_path) {
  if (std::rename(path_.c_str(), new_path.c_str()) != 0) {
    throw H5Error(fmt::format("Unable to rename {} to {}: {}", path_, new_path,
                              std::strerror(errno)));
  }
  path_ = new_path;
}

void File::close() {
  if (!handle_.valid()) return;
  const hid_t id = handle_.release();
  check(H5Fclose(id), "close " + path_);
}

void create_groups_for(const File& file, const std::string& path) {
  std::size_t position = 1;
  while ((position = path.find('/', position)) != std::string::npos) {
    const std::string group = path.substr(0, position);
    if (H5Lexists(file.id(), group.c_str(), H5P_DEFAULT) <= 0) {
      Handle created(check_id(H5Gcreate2(file.id(), group.c_str(), H5P_DEFAULT, H5P_DEFAULT,
                                         H5P_DEFAULT),
                              "create group " + where(file, group)));
    }
    ++position;
  }
}

bool exists(const File& file, const std::string& path) {
  std::size_t position = 1;
  while (true) {
    position = path.find('/', position);
    const std::string prefix = path.substr(0, position);
    const htri_t present = H5Lexists(file.id(), prefix.c_str(), H5P_DEFAULT);
    if (present <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (position == std::string::npos) return true;
    ++position;
  }
}

void create_dataset(const File& file, const std::string& path, hid_t type, const Dims& dims,
                    const Dims& chunk) {
  create_groups_for(file, path);
  Handle space = make_space(dims);
  Handle properties(check_id(H5Pcreate(H5P_DATASET_CREATE), "create dataset properties"));
  check(H5Pset_chunk(properties.id(), static_cast<int>(chunk.size()), chunk.data()),
        "set the chunk shape of " + where(file, path));
  check(H5Pset_shuffle(properties.id()), "enable shuffling for " + where(file, path));
  check(H5Pset_deflate(properties.id(), 4), "enable compression for " + where(file, path));
  Handle dataset(check_id(H5Dcreate2(file.id(), path.c_str(), type, space.id(), H5P_DEFAULT,
                                     properties.id(), H5P_DEFAULT),
                          "create dataset " + where(file, path)));
}

template <typename T>
void write_block(const File& file, const std::string& path, const Dims& offset, const Dims& count,
                 const T* data) {
  Handle dataset = open_dataset(file, path);
  Handle file_space(check_id(H5Dget_space(dataset.id()), "get the dataspace of " + where(file, path)));
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, count.data(),
                            nullptr),
        "select a block of " + where(file, path));
  Handle memory_space = make_space(count);
  check(H5Dwrite(dataset.id(), native_type<T>(), memory_space.id(), file_space.id(), H5P_DEFAULT,
                 data),
        "write to dataset " + where(file, path));
  close_written_dataset(dataset, file, path);
}

template <typename T>
void write_dataset(const File& file, const std::string& path, const Dims& dims, const T* data) {
  create_groups_for(file, path);
  if (H5Lexists(file.id(), path.c_str(), H5P_DEFAULT) > 0) {
    check(H5Ldelete(file.id(), path.c_str(), H5P_DEFAULT), "replace dataset " + where(file, path));
  }
  Handle space = make_space(dims);
  Handle dataset(check_id(H5Dcreate2(file.id(), path.c_str(), native_type<T>(), space.id(),
                                     H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                          "create dataset " + where(file, path)));
  check(H5Dwrite(dataset.id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
        "write dataset " + where(file, path));
  close_written_dataset(dataset, file, path);
}

void write_string_dataset(const File& file, const std::string& path, const std::string& text) {
  create_groups_for(file, path);
  Handle type = string_type(text.size() + 1);
  Handle space = make_space({});
  Handle dataset(check_id(H5Dcreate2(file.id(), path.c_str(), type.id(), space.id(), H5P_DEFAULT,
                                     H5P_DEFAULT, H5P_DEFAULT),
                          "create dataset " + where(file, path)));
  check(H5Dwrite(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.c_str()),
        "write dataset " + where(file, path));
  close_written_dataset(dataset, file, path);
}

Dims dataset_shape(const File& file, const std::string& path) {
  Handle dataset = open_dataset(file, path);
  Handle space(check_id(H5Dget_space(dataset.id()), "get the dataspace of " + where(file, path)));
  const int rank = H5Sget_simple_extent_ndims(space.id());
  Dims dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  return dims;
}

template <typename T>
std::vector<T> read_dataset(const File& file, const std::string& path, Dims* dims) {
  const Dims shape = dataset_shape(file, path);
  std::size_t size = 1;
  for (hsize_t extent : shape) size *= extent;
  std::vector<T> values(size);
  Handle dataset = open_dataset(file, path);
  check(H5Dread(dataset.id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
        "read dataset " + where(file, path));
  if (dims != nullptr) *dims = shape;
  return values;
}

template <typename T>
std::vector<T> read_block(const File& file, const std::string& path, const Dims& offset,
                          const Dims& count) {
  std::size_t size = 1;
  for (hsize_t extent : count) size *= extent;
  std::vector<T> values(size);
  Handle dataset = open_dataset(file, path);
  Handle file_space(check_id(H5Dget_space(dataset.id()), "get the dataspace of " + where(file, path)));
  check(H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, offset.data(), nullptr, count.data(),
                            nullptr),
        "select a block of " + where(file, path));
  Handle memory_space = make_space(count);
  check(H5Dread(dataset.id(), native_type<T>(), memory_space.id(), file_space.id(), H5P_DEFAULT,
                values.data()),
        "read a block of " + where(file, path));
  return values;
}

std::string read_string_dataset(const File& file, const std::string& path) {
  Handle dataset = open_dataset(file, path);
  Handle type(check_id(H5Dget_type(dataset.id()), "get the type of " + where(file, path)));
  if (H5Tis_variable_str(type.id()) > 0) {
    throw H5Error("Unable to read " + where(file, path) + ": variable-length strings are not used by loopmc");
  }
  std::string text(H5Tget_size(type.id()), '\0');
  check(H5Dread(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()),
        "read dataset " + where(file, path));
  text.resize(std::strlen(text.c_str()));
  return text;
}

void write_attribute(const File& file, const std::string& object_path, const std::string& name,
                     const std::string& value) {
  Handle object = open_object(file, object_path);
  remove_attribute_if_present(object.id(), name);
  Handle type = string_type(value.size() + 1);
  Handle space = make_space({});
  Handle attribute(check_id(H5Acreate2(object.id(), name.c_str(), type.id(), space.id(),
                                       H5P_DEFAULT, H5P_DEFAULT),
                            "create attribute " + name + " on " + where(file, object_path)));
  check(H5Awrite(attribute.id(), type.id(), value.c_str()),
        "write attribute " + name + " on " + where(file, object_path));
}

namespace {
template <typename T>
void write_scalar_attribute(const File& file, const std::string& object_path,
                            const std::string& name, T value) {
  Handle object = open_object(file, object_path);
  remove_attribute_if_present(object.id(), name);
  Handle space = make_space({});
  Handle attribute(check_id(H5Acreate2(object.id(), name.c_str(), native_type<T>(), space.id(),
                                       H5P_DEFAULT, H5P_DEFAULT),
                            "create attribute " + name + " on " + where(file, object_path)));
  check(H5Awrite(attribute.id(), native_type<T>(), &value),
        "write attribute " + name + " on " + where(file, object_path));
}
}  // namespace

void write_attribute(const File& file, const std::string& object_path, const std::string& name,
                     double value) {
  write_scalar_attribute(file, object_path, name, value);
}

void write_attribute(const File& file, const std::string& object_path, const std::string& name,
                     std::int64_t value) {
  write_scalar_attribute(file, object_path, name, value);
}

std::optional<std::string> read_string_attribute(const File& file, const std::string& object_path,
                                                 const std::string& name) {
  Handle object = open_object(file, object_path);
  if (H5Aexists(object.id(), name.c_str()) <= 0) return std::nullopt;
  Handle attribute(check_id(H5Aopen(object.id(), name.c_str(), H5P_DEFAULT),
                            "open attribute " + name + " on " + where(file, object_path)));
  Handle type(check_id(H5Aget_type(attribute.id()), "get the type of attribute " + name));
  if (H5Tget_class(type.id()) != H5T_STRING || H5Tis_variable_str(type.id()) > 0) return std::nullopt;
  std::string text(H5Tget_size(type.id()), '\0');
  check(H5Aread(attribute.id(), type.id(), text.data()), "read attribute " + name);
  text.resize(std::strlen(text.c_str()));
  return text;
}

std::optional<double> read_number_attribute(const File& file, const std::string& object_path,
                                            const std::string& name) {
  Handle object = open_object(file, object_path);
  if (H5Aexists(object.id(), name.c_str()) <= 0) return std::nullopt;
  Handle attribute(check_id(H5Aopen(object.id(), name.c_str(), H5P_DEFAULT),
                            "open attribute " + name + " on " + where(file, object_path)));
  double value = 0;
  check(H5Aread(attribute.id(), H5T_NATIVE_DOUBLE, &value), "read attribute " + name);
  return value;
}

template void write_block<double>(const File&, const std::string&, const Dims&, const Dims&, const double*);
template void write_block<std::int32_t>(const File&, const std::string&, const Dims&, const Dims&, const std::int32_t*);
template void write_block<std::uint8_t>(const File&, const std::string&, const Dims&, const Dims&, const std::uint8_t*);
template void write_dataset<double>(const File&, const std::string&, const Dims&, const double*);
template void write_dataset<std::uint64_t>(const File&, const std::string&, const Dims&, const std::uint64_t*);
template void write_dataset<std::int32_t>(const File&, const std::string&, const Dims&, const std::int32_t*);
template void write_dataset<std::uint8_t>(const File&, const std::string&, const Dims&, const std::uint8_t*);
template std::vector<double> read_dataset<double>(const File&, const std::string&, Dims*);
template std::vector<std::int32_t> read_dataset<std::int32_t>(const File&, const std::string&, Dims*);
template std::vector<std::uint64_t> read_dataset<std::uint64_t>(const File&, const std::string&, Dims*);
template std::vector<std::uint8_t> read_dataset<std::uint8_t>(const File&, const std::string&, Dims*);
template std::vector<double> read_block<double>(const File&, const std::string&, const Dims&, const Dims&);
template std::vector<std::int32_t> read_block<std::int32_t>(const File&, const std::string&, const Dims&, const Dims&);
template std::vector<std::uint8_t> read_block<std::uint8_t>(const File&, const std::string&, const Dims&, const Dims&);

}  // namespace loopmc::h5
