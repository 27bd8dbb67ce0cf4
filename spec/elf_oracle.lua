-- Oracle for the ELF loader: the same object loaded by libbpf (bpftool
-- prog loadall) must give the same translated instructions for every
-- program, up to map ids / map value addresses / kernel addresses. Used
-- by elf_oracle_spec.lua (every testdata object) and elf_ksyms_spec.lua.
local helpers = require "helpers"
local assert = require "luassert"

local O = {}

O.BPFTOOL = "PATH=$PATH:/usr/sbin bpftool"

function O.have_bpftool()
  return os.execute("command -v bpftool >/dev/null 2>&1 || test -x /usr/sbin/bpftool")
end

local read_file = helpers.read_file

--- Instructions as a list of strings, map references masked: ld_imm64 of
-- a map (src 1/2/5/6) carries a map id or address; ld_imm64 src 0 that
-- the verifier produced from a map or a ksym carries a kernel address.
function O.normalise(x)
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

--- Loads `obj` with libbpf under a fresh bpffs directory and asserts that
-- every program of the collection `coll` (loaded by us from the same
-- object) has libbpf's xlated instructions. Returns the number compared.
function O.compare(obj, coll)
  assert.is_truthy(O.have_bpftool(), "bpftool is needed for the oracle")
  os.execute("mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf")
  local root = "/sys/fs/bpf/ebpf_lua_oracle_" .. tostring(os.time()) .. "_" .. math.random(1000000)
  local ok, err = pcall(function()
    helpers.sh(O.BPFTOOL .. " prog loadall " .. obj .. " " .. root)
    local n = 0
    for pname, prog in pairs(coll.programs) do
      local show = helpers.sh(O.BPFTOOL .. " prog show pinned " .. root .. "/" .. pname)
      local id = assert(show:match("^(%d+):"), show)
      local tmp = os.tmpname()
      helpers.sh(O.BPFTOOL .. " prog dump xlated id " .. id .. " file " .. tmp)
      local theirs = O.normalise(read_file(tmp))
      os.remove(tmp)
      local ours = O.normalise(prog:info().xlated)
      assert.equal(#theirs, #ours, pname .. ": instruction count")
      for k = 1, #ours do
        assert.equal(theirs[k], ours[k], ("%s: insn %d"):format(pname, k - 1))
      end
      n = n + 1
    end
    return n
  end)
  os.execute("rm -rf " .. root)
  if not ok then error(err, 0) end
  return err
end

return O
