-- read.lua: one fixed request, sent over and over (wrk 4.x).
--
--   wrk ... -s bench/lua/read.lua URL -- PATH            GET PATH
--   wrk ... -s bench/lua/read.lua URL -- PATH FILE       POST FILE's first line as JSON to PATH
--
-- There is deliberately no request() function: wrk then builds the request once per thread
-- instead of calling into Lua for each one, which keeps wrk's share of the two cores small.

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
  wrk.path = args[1] or "/"
  local file = args[2]
  if file ~= nil and file ~= "" then
    local fh = assert(io.open(file))
    wrk.method = "POST"
    wrk.body = fh:read("*l")
    fh:close()
    wrk.headers["Content-Type"] = "application/json"
  end
end
