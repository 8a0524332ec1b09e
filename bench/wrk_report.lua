-- Appended by bench/api_bench.py to its per-endpoint wrk script: one JSON line with the figures
-- (latencies in microseconds; errors counts non-2xx/3xx answers and socket errors).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
