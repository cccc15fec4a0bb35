#pragma once
// A thin RAII layer over the HDF5 C API. Every call is checked; a failure
// throws H5Error, whose message names what could not be done, on which file and
// object, and carries the HDF5 error stack. HDF5's own printing is silenced.
//
// HDF5 is built without thread safety here, so callers serialise all calls.

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace loopmc::h5 {

class H5Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Turns off HDF5's printing of error stacks to stderr; call once per process.
void silence_library_errors();

// Throws H5Error("Unable to <action>: <stack>") when `status` is negative.
void check(herr_t status, const std::string& action);
hid_t check_id(hid_t id, const std::string& action);

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      close();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~Handle() { close(); }

  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void close() noexcept;
  // Gives up ownership without closing.
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using Dims = std::vector<hsize_t>;

// Element types that the engine writes.
template <typename T> hid_t native_type();
template <> inline hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> inline hid_t native_type<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> inline hid_t native_type<std::uint64_t>() { return H5T_NATIVE_UINT64; }
template <> inline hid_t native_type<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t native_type<std::uint8_t>() { return H5T_NATIVE_UINT8; }

class File {
 public:
  enum class Mode { read, read_write };

  // Creates (truncating) a file. With `swmr_format` the file uses the latest
  // format, as single-writer/multiple-reader mode needs.
  static File create(const std::string& path, bool swmr_format);
  static File open(const std::string& path, Mode mode);

  const std::string& path() const { return path_; }
  hid_t id() const { return handle_.id(); }

  void start_swmr_write();
  void flush();
  void close();

  // Renames the file on disk to `new_path` (POSIX rename: atomic within one
  // file system, replacing any file there) while it stays open. Throws H5Error.
  void rename(const std::string& new_path);

 private:
  File(Handle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  Handle handle_;
  std::string path_;
};

// Creates all missing groups on the way to `path`, e.g. "/replicas/theta".
void create_groups_for(const File& file, const std::string& path);

bool exists(const File& file, const std::string& path);

// Creates a chunked, shuffled and deflate-compressed dataset.
void create_dataset(const File& file, const std::string& path, hid_t type, const Dims& dims,
                    const Dims& chunk);

// Writes `data` into the block at `offset` of extent `count` (row-major).
template <typename T>
void write_block(const File& file, const std::string& path, const Dims& offset, const Dims& count,
                 const T* data);

// Creates (or replaces) a contiguous dataset holding `data` with shape `dims`.
template <typename T>
void write_dataset(const File& file, const std::string& path, const Dims& dims, const T* data);

void write_string_dataset(const File& file, const std::string& path, const std::string& text);

// Reads a whole dataset; `dims` receives its shape.
template <typename T>
std::vector<T> read_dataset(const File& file, const std::string& path, Dims* dims = nullptr);

// Reads the block at `offset` of extent `count`.
template <typename T>
std::vector<T> read_block(const File& file, const std::string& path, const Dims& offset,
                          const Dims& count);

std::string read_string_dataset(const File& file, const std::string& path);
Dims dataset_shape(const File& file, const std::string& path);

// Attributes on the object at `object_path` ("/" for the root), created or replaced.
void write_attribute(const File& file, const std::string& object_path, const std::string& name,
                     const std::string& value);
void write_attribute(const File& file, const std::string& object_path, const std::string& name,
                     double value);
void write_attribute(const File& file, const std::string& object_path, const std::string& name,
                     std::int64_t value);

std::optional<std::string> read_string_attribute(const File& file, const std::string& object_path,
                                                 const std::string& name);
std::optional<double> read_number_attribute(const File& file, const std::string& object_path,
                                            const std::string& name);

}  // namespace loopmc::h5
