-- report.lua: wrk's done() hook for every bench script, loaded by read.lua and post.lua.
--
-- It prints one line "WRKJSON {...}" that bench/run.py parses: counts, bytes, errors and latency
-- percentiles in microseconds (wrk's own histogram; it covers completed requests only).

function done(summary, latency, requests)
  local e = summary.errors
  local function p(q) return latency:percentile(q) end
  local statuses = status_counts and status_counts() or ""
  io.write(string.format(
    'WRKJSON {"statuses":{%s},"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,' ..
    '"p999":%d,"max":%d}}\n',
    statuses, summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, p(50), p(90), p(99), p(99.9), latency.max))
end
