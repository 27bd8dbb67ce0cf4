--- ebpf.hist: text histograms of bucket counts, laid out as bcc's tools
-- print them (`print_log2_hist` / `print_linear_hist`): a header with the
-- unit, one row per bucket, bars of 40 columns scaled to the largest
-- bucket. The counts come from a map (array, or hash keyed by bucket;
-- per-CPU values summed; struct keys {<key>, slot} give one histogram per
-- key, as bcc's section_header) or from a Lua table {[bucket] = count}.
-- @module ebpf.hist

local M = {}

local STARS = 40

local function check_opts(opts, allowed, level)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error("options must be a table", level + 1) end
  for k in pairs(opts) do
    if not allowed[k] then error(("invalid field name '%s'"):format(tostring(k)), level + 1) end
  end
  return opts
end

local function count_of(v)
  if type(v) == "table" then -- per-CPU: a sequence of counts
    local s = 0
    for _, c in ipairs(v) do s = s + count_of(c) end
    return s
  end
  if math.type(v) ~= "integer" then
    error(("bucket counts must be integers, got %s"):format(math.type(v) or type(v)), 4)
  end
  return v
end

-- Bars as bcc draws them: int(width * count / max) stars, "+" at the end
-- when a count exceeds the scale's maximum.
local function bar(count, max, width)
  if max <= 0 then return "" end
  local n = math.min(width, math.floor(width * count / max + 1e-9))
  local s = string.rep("*", n)
  if count > max then s = s:sub(1, -2) .. "+" end
  return s
end

-- {[bucket] = count} of a plain table, or sections {[key] = {[bucket] = count}}
-- of a map whose keys are structs with a `slot` field.
local function gather(source)
  if type(source) == "table" and getmetatable(source) == nil then
    local t = {}
    for b, c in pairs(source) do
      if math.type(b) ~= "integer" or b < 0 then error("bucket indexes must be integers >= 0", 3) end
      t[b] = count_of(c)
    end
    return { [""] = t }, { "" }
  end
  if type(source) ~= "userdata" and type(source) ~= "table" then
    error("source must be an ebpf.map or a table {[bucket] = count}", 3)
  end
  local sections, order = {}, {}
  for k, v in pairs(source) do
    local sec, slot = "", k
    if type(k) == "table" then
      slot = k.slot
      if math.type(slot) ~= "integer" then error("struct keys need an integer 'slot' field", 3) end
      local parts = {}
      for name, val in pairs(k) do
        if name ~= "slot" then parts[#parts + 1] = ("%s = %s"):format(name, tostring(val)) end
      end
      table.sort(parts)
      sec = table.concat(parts, ", ")
    elseif math.type(k) ~= "integer" then
      error("map keys must be integers (bucket) or structs with a 'slot' field", 3)
    end
    if not sections[sec] then
      sections[sec] = {}
      order[#order + 1] = sec
    end
    sections[sec][slot] = (sections[sec][slot] or 0) + count_of(v)
  end
  table.sort(order)
  return sections, order
end

local function last_nonzero(t)
  local last = -1
  for b, c in pairs(t) do
    if c > 0 and b > last then last = b end
  end
  return last
end

local function log2_one(out, t, unit, strip, buckets)
  local last, max = last_nonzero(t), 0
  for _, c in pairs(t) do if c > max then max = c end end
  local wide = last > 32
  local header = wide and "               %-29s : count     distribution" or "     %-19s : count     distribution"
  local row = wide and "%20d -> %-20d : %-8d |%-20s|" or "%10d -> %-10d : %-8d |%-40s|"
  local width = wide and STARS // 2 or STARS
  if last > 0 then out[#out + 1] = header:format(unit) end
  for i = 1, last do
    local c = t[i] or 0
    local low, high = (1 << i) >> 1, (1 << i) - 1
    if low == high then low = low - 1 end
    if not (strip and c == 0) then
      strip = false
      out[#out + 1] = row:format(low, high, c, bar(c, max, width))
      buckets[#buckets + 1] = { low = low, high = high, count = c }
    end
  end
end

--- Log2 histogram: bucket i counts values in [2^(i-1), 2^i - 1] (bucket 1
-- also counts 0), as `bpf_log2l()` + 1 makes them in bcc's tools.
-- opts: unit (header, default "value"), strip_leading_zero.
-- Returns the text and the buckets as data: {{low=, high=, count=}, ...}
-- (sections: {[key] = buckets}).
function M.log2(source, opts)
  opts = check_opts(opts, { unit = true, strip_leading_zero = true, section = true }, 2)
  local sections, order = gather(source)
  local out, data = {}, {}
  for _, sec in ipairs(order) do
    if sec ~= "" then out[#out + 1] = ("\n%s"):format(sec) end
    local buckets = {}
    log2_one(out, sections[sec], opts.unit or "value", opts.strip_leading_zero, buckets)
    data[sec] = buckets
  end
  return table.concat(out, "\n") .. (#out > 0 and "\n" or ""), #order == 1 and data[order[1]] or data
end

--- Linear histogram: bucket i counts [min + i*step, min + (i+1)*step).
-- opts: step (default 1), min (default 0), max (last bucket shown, default
-- the last non-empty), unit.
function M.linear(source, opts)
  opts = check_opts(opts, { step = true, min = true, max = true, unit = true }, 2)
  local step, min = opts.step or 1, opts.min or 0
  if math.type(step) ~= "integer" or step < 1 then error("step must be an integer >= 1", 2) end
  if math.type(min) ~= "integer" then error("min must be an integer", 2) end
  local sections, order = gather(source)
  local out, data = {}, {}
  for _, sec in ipairs(order) do
    local t = sections[sec]
    if sec ~= "" then out[#out + 1] = ("\n%s"):format(sec) end
    local last, max = last_nonzero(t), 0
    if opts.max then last = (opts.max - min) // step end
    for _, c in pairs(t) do if c > max then max = c end end
    local buckets = {}
    if last >= 0 then out[#out + 1] = ("     %-13s : count     distribution"):format(opts.unit or "value") end
    for i = 0, last do
      local c = t[i] or 0
      out[#out + 1] = ("        %-10d : %-8d |%-40s|"):format(min + i * step, c, bar(c, max, STARS))
      buckets[#buckets + 1] = { low = min + i * step, high = min + (i + 1) * step - 1, count = c }
    end
    data[sec] = buckets
  end
  return table.concat(out, "\n") .. (#out > 0 and "\n" or ""), #order == 1 and data[order[1]] or data
end

return M
