// Fuzz target: how GET /v1/{resource} is served besides its query (issue 14)
// — the Accept header through api::row_format_of, Prefer through
// api::parse_prefer (count=…, wait=N), and the row formatter
// (model::format_rows) over arbitrary "pages".
// Input: the first byte picks the mode, the rest is the text.
//   mode 0  Accept: <text>
//   mode 1  Prefer: <text>
//   mode 2  <text> as a store page, to CSV and to NDJSON
// Properties beyond "no crash, no UB": an empty Accept is JSON; wait never
// exceeds its cap; NDJSON of a page is its objects, each a piece of the
// input (line breaks as spaces), one per line; CSV starts with its header.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/request_parts.hpp"
#include "model/row_format.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto mode = data[0] % 3;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (mode == 0) {
    auto f = sluice::api::row_format_of(text);
    if (text.find_first_not_of(" \t") == std::string_view::npos) {
      check(f == sluice::model::row_format::json);
    }
  } else if (mode == 1) {
    auto p = sluice::api::parse_prefer(text, 30);
    check(!p.wait || *p.wait <= 30);
  } else {
    const std::vector<std::string> columns{"id", "name", "a,b"};
    std::string out;
    std::string flat(text);  // NDJSON turns line breaks between tokens into spaces
    for (auto& c : flat) c = c == '\n' || c == '\r' ? ' ' : c;
    if (sluice::model::format_rows(sluice::model::row_format::ndjson, columns, text, "\n", out)) {
      for (std::size_t pos = 0; pos < out.size();) {
        auto end = out.find('\n', pos);
        check(end != std::string::npos);
        const std::string_view line(out.data() + pos, end - pos);
        check(!line.empty() && line.front() == '{' && line.back() == '}');
        check(flat.find(line) != std::string::npos);
        pos = end + 1;
      }
    }
    if (sluice::model::format_rows(sluice::model::row_format::csv, columns, text, "\r\n", out)) {
      check(out.starts_with("id,name,\"a,b\"\r\n"));
    }
  }
  return 0;
}
