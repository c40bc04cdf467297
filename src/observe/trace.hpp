#pragma once
// W3C Trace Context (traceparent: "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>").
// Sluice continues the caller's trace or starts one, carries the header in
// message headers, and logs the trace id wherever the message goes.

#include <optional>
#include <string>
#include <string_view>

namespace sluice::observe {

struct trace_context {
  std::string trace_id;  // 32 lowercase hex, not all zero
  std::string span_id;   // 16 lowercase hex, not all zero
  std::string flags = "01";

  std::string traceparent() const { return "00-" + trace_id + "-" + span_id + "-" + flags; }
};

// Parses a traceparent header; nullopt when malformed (then start a new trace).
std::optional<trace_context> parse_traceparent(std::string_view header);

// A new span in the caller's trace when `header` is valid, else a new trace.
trace_context continue_or_start(std::string_view header);

}  // namespace sluice::observe
