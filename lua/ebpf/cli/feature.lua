--- ebpf.cli.feature: `ebpf feature` (alias `features`), the kernel
-- feature report of ebpf.features.report().
-- @module ebpf.cli.feature

local util = require "ebpf.cli.util"

local lib, usage_error, columns = util.lib, util.usage_error, util.columns

local order = { "prog_types", "map_types", "map_flags", "helpers", "btf_kinds", "links", "misc" }

local cmd = {
  summary = "probe what the running kernel supports",
  usage = "ebpf feature [probe [kernel]] [--json] [--no-helpers] [--kfunc NAME]...\n       (also: ebpf features ...)",
  flags = { ["--json"] = false, ["--no-helpers"] = false, ["--kfunc"] = "list" },
  run = function(ctx, args)
    local o, out = ctx.opts, ctx.out
    if args:accept("probe") then args:accept("kernel") end
    args:done()
    local kfuncs = o.kfunc
    for _, name in ipairs(kfuncs or {}) do
      if not name:match("^[%a_][%w_]*$") then usage_error("--kfunc needs a function name, got '" .. name .. "'") end
    end
    local r = lib().features.report { helpers = not o.no_helpers, kfuncs = kfuncs }
    if ctx.json then return ctx.emit(r) end
    local buf = { ("kernel %s\n"):format(r.kernel or "?") }
    local function section(title, t)
      local names = {}
      for k in pairs(t) do names[#names + 1] = k end
      table.sort(names)
      local rows = {}
      for _, n in ipairs(names) do
        local e = t[n]
        rows[#rows + 1] = { n, e.status, e.reason or "" }
      end
      buf[#buf + 1] = "\n" .. title .. "\n"
      if #rows > 0 then buf[#buf + 1] = columns(rows):gsub("[^\n]+", "  %0") end
    end
    for _, key in ipairs(order) do
      if key == "helpers" then
        if r.helpers then
          buf[#buf + 1] = "\nhelpers per program type (count; unavailable/inconclusive omitted)\n"
          local pts = {}
          for k in pairs(r.helpers) do pts[#pts + 1] = k end
          table.sort(pts)
          for _, pt in ipairs(pts) do
            local yes, inc = {}, 0
            for h, st in pairs(r.helpers[pt]) do
              if st == "supported" then yes[#yes + 1] = h elseif st == "inconclusive" then inc = inc + 1 end
            end
            table.sort(yes)
            buf[#buf + 1] = ("  %s: %d%s\n"):format(pt, #yes, inc > 0 and (" (%d inconclusive)"):format(inc) or "")
            if #yes > 0 then buf[#buf + 1] = "    " .. table.concat(yes, " ") .. "\n" end
          end
        end
      else
        section(key:gsub("_", " "), r[key])
      end
    end
    if r.kfuncs then section("kfuncs (syscall programs)", r.kfuncs) end
    return out(table.concat(buf))
  end,
}

return cmd
