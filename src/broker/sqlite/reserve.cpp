#include "broker/sqlite/reserve.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace sluice::broker::sqlite {
namespace {

std::error_code last_errno() { return {errno, std::generic_category()}; }

}  // namespace

std::error_code available_bytes(const std::string& path, std::uint64_t& out) {
  auto dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return last_errno();
  // f_bavail, not f_bfree: blocks reserved for root do not count, so a root
  // process does not plan with room that others cannot use.
  out = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  return {};
}

space_reserve::space_reserve(std::string path, std::uint64_t bytes)
    : path_(std::move(path)), bytes_(bytes) {}

bool space_reserve::in_place() const {
  if (!enabled()) return true;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return false;
  return static_cast<std::uint64_t>(st.st_size) >= bytes_;
}

std::error_code space_reserve::release() {
  if (!enabled()) return {};
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return last_errno();
  return {};
}

std::error_code space_reserve::restore() {
  if (in_place()) return {};
  std::uint64_t free = 0;
  if (auto ec = available_bytes(path_, free)) return ec;
  if (free / 2 < bytes_) return std::make_error_code(std::errc::no_space_on_device);

  // Allocated under a private name and renamed: a process that crashes or
  // runs out of space half-way never leaves a short file that others would
  // take for a reserve.
  const std::string tmp = path_ + "." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return last_errno();
  // posix_fallocate returns the error instead of setting errno.
  int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes_));
  if (rc == 0 && ::fsync(fd) != 0) rc = errno;
  ::close(fd);
  if (rc == 0 && ::rename(tmp.c_str(), path_.c_str()) != 0) rc = errno;
  if (rc != 0) {
    ::unlink(tmp.c_str());
    return {rc, std::generic_category()};
  }
  return {};
}

}  // namespace sluice::broker::sqlite
