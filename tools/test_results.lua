#!/usr/bin/env lua5.4
--[[ test_results: the suite's closing line from structured results, not
from scraped terminal text.

usage: lua5.4 tools/test_results.lua [--junit FILE] [--tap FILE]
  --junit  ctest's JUnit XML (ctest --output-junit): <testsuite tests= failures= skipped= disabled=>
  --tap    busted's TAP output (busted -o TAP): ok / not ok / ok ... # SKIP, and the plan 1..N
Prints "ebpf-lua tests: P passed, F failed, S skipped" and exits 1 when
anything failed, a file is missing or unreadable, or a TAP stream has no
plan or fewer results than planned (a crashed run).
]]

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  return s
end

local passed, failed, skipped = 0, 0, 0
local problems = {}

local function junit(path)
  local xml, err = read(path)
  if not xml then
    problems[#problems + 1] = "ctest results: " .. err
    failed = failed + 1
    return
  end
  local attrs = xml:match("<testsuite%s([^>]*)>")
  if not attrs then
    problems[#problems + 1] = "ctest results: no <testsuite> in " .. path
    failed = failed + 1
    return
  end
  local function attr(name) return tonumber(attrs:match("%f[%w]" .. name .. '="(%d+)"') or 0) end
  local tests, f, s = attr("tests"), attr("failures") + attr("errors"), attr("skipped") + attr("disabled")
  passed, failed, skipped = passed + tests - f - s, failed + f, skipped + s
  for name in xml:gmatch('<testcase%s+name="([^"]*)"[^>]*status="fail"') do
    problems[#problems + 1] = "ctest: " .. name .. " failed"
  end
end

local function tap(path)
  local text, err = read(path)
  if not text then
    problems[#problems + 1] = "busted results: " .. err
    failed = failed + 1
    return
  end
  local plan, seen = nil, 0
  for line in text:gmatch("[^\n]+") do
    local n = line:match("^1%.%.(%d+)$")
    if n then
      plan = tonumber(n)
    elseif line:match("^ok %d+ %- # SKIP") or line:match("^ok %d+ # SKIP") then
      skipped, seen = skipped + 1, seen + 1
    elseif line:match("^ok %d+") then
      passed, seen = passed + 1, seen + 1
    elseif line:match("^not ok %d+") then
      failed, seen = failed + 1, seen + 1
      problems[#problems + 1] = "busted: " .. line
    end
  end
  if not plan then
    problems[#problems + 1] = "busted did not finish (no TAP plan line): a crash or an abort"
    failed = failed + 1
  elseif seen < plan then
    problems[#problems + 1] = ("busted reported %d of %d planned results"):format(seen, plan)
    failed = failed + 1
  end
end

local i = 1
while i <= #arg do
  local a, v = arg[i], arg[i + 1]
  if a == "--junit" and v then
    junit(v)
  elseif a == "--tap" and v then
    tap(v)
  else
    io.stderr:write("usage: lua5.4 tools/test_results.lua [--junit FILE] [--tap FILE]\n")
    os.exit(2)
  end
  i = i + 2
end
for _, p in ipairs(problems) do io.write(p, "\n") end
io.write(("\nebpf-lua tests: %d passed, %d failed, %d skipped\n"):format(passed, failed, skipped))
os.exit(failed == 0 and 0 or 1)
