-- wrk script for the bench suite: a session cookie, a rotation of paths, an optional POST body,
-- and a one-line JSON summary (wrk's own report has no p95). Responses other than 2xx/3xx count
-- as errors.
local cookie = os.getenv("BENCH_COOKIE") or ""
local body = os.getenv("BENCH_BODY") or ""
local paths = {}
local file = io.open(os.getenv("BENCH_PATHS") or "", "r")
if file then
  for line in file:lines() do
    if #line > 0 then table.insert(paths, line) end
  end
  file:close()
end
local counter = 0

request = function()
  local headers = {}
  if #cookie > 0 then headers["Cookie"] = cookie end
  local path = nil
  if #paths > 0 then
    counter = counter + 1
    path = paths[(counter % #paths) + 1]
  end
  if #body > 0 then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path, headers, nil)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors))
end
