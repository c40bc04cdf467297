#include "app/export_command.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "app/backends.hpp"
#include "model/validate.hpp"

namespace sluice::app {
namespace {

// Where the bytes go: a file descriptor, through zlib's gzip writer or not.
class output {
 public:
  ~output() { close(); }
  output() = default;
  output(const output&) = delete;
  output& operator=(const output&) = delete;

  bool open(const std::string& path, bool gzip, std::string& why) {
    fd_ = path == "-" ? ::dup(STDOUT_FILENO)
                      : ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      why = path + ": " + std::strerror(errno);
      return false;
    }
    if (gzip) {
      gz_ = gzdopen(fd_, "wb6");
      if (gz_ == nullptr) {
        why = "zlib could not start";
        return false;
      }
      fd_ = -1;  // owned by gz_ now
    }
    return true;
  }

  bool write(std::string_view bytes) {
    if (gz_ != nullptr) {
      while (!bytes.empty()) {
        const auto n = static_cast<unsigned>(std::min<std::size_t>(bytes.size(), 1u << 30));
        if (gzwrite(gz_, bytes.data(), n) != static_cast<int>(n)) return false;
        bytes.remove_prefix(n);
      }
      return true;
    }
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Flushes and closes; false when the last bytes could not be written.
  bool close() {
    bool ok = true;
    if (gz_ != nullptr) ok = gzclose(gz_) == Z_OK;
    gz_ = nullptr;
    if (fd_ >= 0) ok = ::close(fd_) == 0 && ok;
    fd_ = -1;
    return ok;
  }

 private:
  int fd_ = -1;
  gzFile gz_ = nullptr;
};

}  // namespace

int run_export(const config::config& cfg, const export_request& req, std::ostream& err) {
  store::export_query q;
  if (req.format == "csv") {
    q.format = store::export_format::csv;
  } else if (req.format == "ndjson") {
    q.format = store::export_format::ndjson;
  } else {
    err << "sluice export: --format must be csv or ndjson\n";
    return 2;
  }
  auto since = model::timestamp_micros(req.since), until = model::timestamp_micros(req.until);
  if (!since || !until) {
    err << "sluice export: --since and --until must be RFC 3339 timestamps "
           "(2026-12-01T00:00:00Z)\n";
    return 2;
  }
  if (*until <= *since) {
    err << "sluice export: --until must be after --since\n";
    return 2;
  }
  q.since_us = *since;
  q.until_us = *until;
  q.after = req.after;
  auto tables = tables_of(cfg);
  for (const auto& t : tables) {
    if (t.resource->name == req.resource) {
      q.table = t.table;
      break;
    }
  }
  if (q.table.empty()) {
    err << "sluice export: no resource named " << req.resource << " in the configuration\n";
    return 2;
  }

  auto store = open_store(cfg);
  if (auto ec = store->attach(tables)) {
    err << "sluice export: the store: " << ec.message() << "\n";
    return 1;
  }
  output out;
  std::string why;
  if (!out.open(req.out, req.gzip, why)) {
    err << "sluice export: cannot write " << why << "\n";
    return 1;
  }
  bool write_failed = false;
  auto written = store->export_rows(q, [&](std::string_view chunk) {
    if (out.write(chunk)) return true;
    write_failed = true;
    return false;
  });
  const bool closed = out.close();
  if (write_failed || !closed) {
    err << "sluice export: writing " << req.out << " failed\n";
    return 1;
  }
  if (!written) {
    err << "sluice export: the store: " << written.error().message() << "\n";
    return 1;
  }
  err << "sluice export: " << written->rows << " rows";
  if (written->last_id) {
    err << ", last id " << *written->last_id << " (resume with --after " << *written->last_id
        << ")";
  }
  err << "\n";
  return 0;
}

}  // namespace sluice::app
