-- wrk script: POST the body in env BODY_FILE with every "__NAME__" replaced by a name no request
-- has used before (thread address + counter), so that each group event creates a new company.
-- Prints one "WRKJSON {...}" line at the end, as post.lua does.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local template = f:read("*a")
f:close()
local counter = 0
local prefix = tostring({}):gsub("table: ", "")

function request()
  counter = counter + 1
  local body = template:gsub("__NAME__", "Co " .. prefix .. "-" .. counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p99_us":%d,"lat_max_us":%d}\n',
    summary.requests, e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
