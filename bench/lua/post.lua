-- post.lua: new comments, each with a body (and for Rostra a nonce) no other request repeats.
--
--   wrk ... -s bench/lua/post.lua URL -- rostra|isso PATH TEXTS TAG
--
-- TEXTS holds one JSON-escaped comment text per line (without quotes). Every request takes the
-- next text and appends "(post TAG-THREAD-N)", so bodies and nonces are unique within a run and,
-- with a fresh TAG, across runs. Rostra gets its API's shape, Isso its POST /new shape.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")

local thread_count = 0
local all_threads = {}

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
  all_threads[#all_threads + 1] = thread
end

-- HTTP statuses seen, per wrk thread: a post may be published (201), held (202) or refused.
statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- Called by report.lua's done(): the statuses of all threads, as JSON members.
function status_counts()
  local total = {}
  for _, thread in ipairs(all_threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
  end
  return table.concat(parts, ",")
end

local server, path, tag
local texts = {}
local sent = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  server, path, tag = args[1], args[2], args[4] or "run"
  for line in io.lines(args[3]) do
    if #line > 0 then texts[#texts + 1] = line end
  end
  assert(#texts > 0, "no texts in " .. tostring(args[3]))
end

function request()
  sent = sent + 1
  local me = tostring(thread_no or 0)
  local unique = tag .. "-" .. me .. "-" .. sent
  -- Threads start at different texts, so concurrent posts differ from the first request on.
  local text = texts[((thread_no or 0) * 7919 + sent) % #texts + 1] .. " (post " .. unique .. ")"
  local body
  if server == "rostra" then
    body = '{"thread":"/bench/post","author":"Bench poster ' .. me .. '","body":"' .. text ..
      '","nonce":"' .. unique .. '"}'
  else
    body = '{"title":"Posting benchmark","author":"Bench poster ' .. me .. '","text":"' ..
      text .. '"}'
  end
  return wrk.format("POST", path, headers, body)
end
