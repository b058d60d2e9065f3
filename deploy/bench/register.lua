-- POST /auth/register with a new username each request ($BENCH_PREFIX, thread, counter).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local prefix = os.getenv("BENCH_PREFIX")
function request()
  counter = counter + 1
  local name = prefix .. tid .. "_" .. counter
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    '{"username":"' .. name .. '","email":"' .. name .. '@bench.io","password":"123456"}')
end
