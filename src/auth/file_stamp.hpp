#pragma once
// The identity of a watched file (device, inode, size, mtime): the key and
// JWT verifiers read their file again only when it changed. An atomic
// replace (rename) changes the inode even when size and mtime match.

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace sluice::auth {

struct file_stamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_stamp&) const = default;

  // `path`'s stamp now; the default stamp when it cannot be stat()ed (a
  // missing file compares equal to another missing one).
  static file_stamp of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return {st.st_dev, st.st_ino, st.st_size,
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
};

}  // namespace sluice::auth
