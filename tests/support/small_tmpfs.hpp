#pragma once
// A tmpfs of a given size mounted on a fresh directory (for disk-full
// drills), unmounted on destruction. Needs permission to mount (root in the
// test container); mounted() is false otherwise and why() says why.

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

namespace sluice::testing {

class small_tmpfs {
 public:
  explicit small_tmpfs(std::uint64_t bytes) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("sluice-tmpfs-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
    const std::string opts = "size=" + std::to_string(bytes) + ",mode=0777";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
    } else {
      why_ = std::strerror(errno);
    }
  }
  ~small_tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  small_tmpfs(const small_tmpfs&) = delete;
  small_tmpfs& operator=(const small_tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string why_;
};

#define REQUIRE_TMPFS(t) \
  if (!(t).mounted()) GTEST_SKIP() << "cannot mount a tmpfs: " << (t).why()

}  // namespace sluice::testing
