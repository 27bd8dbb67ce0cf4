-- The reference names functions that exist: every `### ebpf.a.b(...)`
-- heading in docs/*.md resolves to a callable in the loaded module.
local ebpf = require "ebpf"
local helpers = require "helpers"

local function resolve(name)
  local v = ebpf
  for part in name:gmatch("[^%.]+") do
    if part ~= "ebpf" then
      local ok, nv = pcall(function() return v[part] end)
      if not ok then return nil end
      v = nv
      if v == nil then return nil end
    end
  end
  return v
end

describe("docs", function()
  it("every `ebpf.x(...)` heading names an existing function", function()
    local missing, seen = {}, 0
    for file in helpers.sh("ls docs/*.md"):gmatch("%S+") do
      for line in helpers.read_file(file):gmatch("[^\n]+") do
        local name = line:match("^#+%s+`?(ebpf%.[%w_%.]+)%(")
        if name then
          seen = seen + 1
          local v = resolve(name)
          local mt = v ~= nil and getmetatable(v)
          if not (type(v) == "function" or (type(mt) == "table" and mt.__call)) then
            missing[#missing + 1] = file .. ": " .. name
          end
        end
      end
    end
    assert.is_true(seen > 20)
    assert.same({}, missing)
  end)
end)
