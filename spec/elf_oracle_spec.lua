-- Oracle: every testdata object loaded by this library and by libbpf
-- (bpftool prog loadall) must give the same translated instructions for
-- every program, up to map ids / map value addresses.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"

local function have_bpftool()
  local ok = os.execute("command -v bpftool >/dev/null 2>&1 || test -x /usr/sbin/bpftool")
  return ok
end

local BPFTOOL = "PATH=$PATH:/usr/sbin bpftool"

-- Objects libbpf loads completely (legacy `maps` is refused by libbpf 1.x,
-- fail/core_fail are meant to fail, sections holds fentry which this
-- kernel refuses).
local objects = { "globals", "subprogs", "mapinmap", "btfmaps", "core", "externs", "pinning" }

local function read_file(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- Instructions as a list of strings, map references masked: ld_imm64 of a
-- map (src 1/2/5/6) carries a map id or address; ld_imm64 src 0 that the
-- verifier produced from a map carries a kernel address.
local function normalise(x)
  local out = {}
  local i, n = 1, #x // 8
  while i <= n do
    local op, regs, off, imm = string.unpack("<BBi2i4", x, (i - 1) * 8 + 1)
    if op == 0x18 and i < n then
      local src = regs >> 4
      local _, _, _, imm2 = string.unpack("<BBi2i4", x, i * 8 + 1)
      if src == 1 or src == 2 or src == 5 or src == 6 then
        out[#out + 1] = ("ld_imm64 r%d map(src %d)+%d"):format(regs & 15, src, src == 2 and imm2 or 0)
      else
        out[#out + 1] = ("ld_imm64 r%d src %d %s"):format(regs & 15, src,
          (imm2 < -1 or imm2 > 0) and "kaddr" or (imm .. ":" .. imm2))
      end
      i = i + 2
    else
      out[#out + 1] = ("%02x %02x %d %d"):format(op, regs, off, imm)
      i = i + 1
    end
  end
  return out
end

describe("oracle: xlated instructions vs libbpf (bpftool prog loadall)", function()
  local root
  setup(function()
    os.execute("mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf")
  end)
  before_each(function()
    root = "/sys/fs/bpf/ebpf_lua_oracle_" .. tostring(os.time()) .. "_" .. math.random(1000000)
  end)
  after_each(function()
    os.execute("rm -rf " .. root .. " " .. root .. "_maps")
  end)

  local anchor = (os.getenv("EBPF_ANCHORS") or "/work/shared/anchors") .. "/build/load.bpf.o"
  local af = io.open(anchor)
  if af then
    af:close()
    objects[#objects + 1] = anchor
  end

  for _, name in ipairs(objects) do
    it(name, function()
      assert.is_truthy(have_bpftool(), "bpftool is needed for the oracle")
      if name == "externs" and not os.execute("test -e /proc/config.gz || test -e /boot/config-$(uname -r)") then
        pending("no kernel config on this kernel: both loaders refuse the kconfig externs")
        return
      end
      local obj = name:find("/") and name or helpers.testdata("elf/" .. name .. ".bpf.o")
      local pin_root = root .. "_maps"
      helpers.sh("mkdir -p " .. pin_root)
      -- libbpf pins by-name maps under /sys/fs/bpf by default; ours go to
      -- a private root so the two loads stay independent
      helpers.sh(BPFTOOL .. " prog loadall " .. obj .. " " .. root)
      local coll = assert(ebpf.load(obj, { pin_root = pin_root }))
      local n = 0
      for pname, prog in pairs(coll.programs) do
        local show = helpers.sh(BPFTOOL .. " prog show pinned " .. root .. "/" .. pname)
        local id = assert(show:match("^(%d+):"), show)
        local tmp = os.tmpname()
        helpers.sh(BPFTOOL .. " prog dump xlated id " .. id .. " file " .. tmp)
        local theirs = normalise(read_file(tmp))
        os.remove(tmp)
        local ours = normalise(prog:info().xlated)
        assert.equal(#theirs, #ours, pname .. ": instruction count")
        for k = 1, #ours do
          assert.equal(theirs[k], ours[k], ("%s: insn %d"):format(pname, k - 1))
        end
        n = n + 1
      end
      assert.is_true(n > 0)
      coll:close()
      os.execute("rm -f /sys/fs/bpf/shared_counts") -- libbpf's by-name pin
    end)
  end
end)
