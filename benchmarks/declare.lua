-- wrk: form I605 for a new person at every request, PUT /v1/directory/{niss}/integrations
-- (capacity 001 from 2024-01-01), with the bearer credential, wrk's thread count and the first
-- person's number (each run declares persons of its own) given after "--".
-- The NISS are born 1920 to 1949 (the benchmark's population is born 1950 on), 997 per day,
-- their check digits 97 - (the nine digits mod 97); each thread takes every threads-th one.

local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  table.insert(threads, thread)
  count = count + 1
end

local body = '{"capacity": "001", "begin": "2024-01-01"}'
local headers = {}
local sent = 0
local step = 1
local first = 0

function init(args)
  headers["Authorization"] = "Bearer " .. args[1]
  headers["Content-Type"] = "application/json"
  step = tonumber(args[2] or "2")
  first = tonumber(args[3] or "0")
end

function request()
  local k = first + sent * step + id
  sent = sent + 1
  local sequence = k % 997 + 1
  local day_index = math.floor(k / 997)
  local rest = day_index % 336
  local year = 20 + math.floor(day_index / 336) % 30
  local month = math.floor(rest / 28) + 1
  local day = rest % 28 + 1
  local base = year * 10000000 + month * 100000 + day * 1000 + sequence
  local niss = string.format("%09d%02d", base, 97 - base % 97)
  return wrk.format("PUT", "/v1/directory/" .. niss .. "/integrations", headers, body)
end
