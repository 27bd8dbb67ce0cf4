-- `ebpf run -e 'CODE' [ARGS...]`: one-liners with the module as the global
-- `ebpf`; what they create is what bpftool sees.
local helpers = require "spec.helpers"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function run_e(code, args)
  local f = assert(io.popen(("EBPF_BUILD=%s bin/ebpf run -e %s %s 2>&1; echo \"rc=$?\""):format(
    q(helpers.build), q(code), args or "")))
  local out = f:read("a")
  f:close()
  return tonumber(out:match("rc=(%d+)\n$")), out:gsub("rc=%d+\n$", "")
end

describe("ebpf run -e", function()
  it("runs a one-liner with `ebpf` global, its arguments as ... and arg", function()
    local name = "e" .. tostring(helpers.sh("echo $$"):match("%d+"))
    local rc, out = run_e(("local m <close> = assert(ebpf.map { type = 'array', key_size = 4, value_size = 8, "
      .. "max_entries = 1, name = %q }) m[0] = tonumber(arg[1]) * 2 "
      .. "print(m:info().id, m[0], select('#', ...), arg[0], io.popen('bpftool map show id ' .. m:info().id):read('a'))")
      :format(name), "21 --x")
    assert.equal(0, rc, out)
    local id, v, n, a0, bpftool = out:match("^(%d+)\t(%d+)\t(%d+)\t(%S+)\t(.*)$")
    assert.equal("42", v)
    assert.equal("2", n)
    assert.equal("-e", a0)
    -- the oracle: the kernel's map of that id carries the one-liner's name
    assert.matches("^" .. id .. ": array%s+name " .. name .. "%s", bpftool)
  end)

  it("reports syntax and runtime errors with status 1, a missing CODE with status 2", function()
    local rc, out = run_e("this is not lua")
    assert.equal(1, rc)
    assert.matches("%(command line%):1:", out)
    rc, out = run_e("error('boom')")
    assert.equal(1, rc)
    assert.matches("boom", out, 1, true)
    local f = assert(io.popen(("EBPF_BUILD=%s bin/ebpf run -e 2>&1; echo rc=$?"):format(q(helpers.build))))
    out = f:read("a")
    f:close()
    assert.matches("needs a value.*rc=2", out)
  end)
end)
