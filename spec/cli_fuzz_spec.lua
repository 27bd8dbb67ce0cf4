-- Randomized arguments for the `ebpf` command's parser and dispatch
-- (issue 12: a fuzz harness for the CLI): cli.main runs in this process
-- with argv built from a vocabulary of commands, options (with and
-- without values, "--opt=value"), ids, paths and hostile strings, from a
-- fixed seed (reproducible; EBPF_CLI_FUZZ_SEED and EBPF_CLI_FUZZ_RUNS
-- change it). Every run must return 0, 1 or 2 without raising, a usage
-- error (2) must print the usage, and no failure may be a Lua runtime
-- error escaping as a message ("attempt to index a nil value").
local helpers = require "spec.helpers"
local ebpf = require "ebpf"
local cli = require "ebpf.cli"

local SEED = tonumber(os.getenv("EBPF_CLI_FUZZ_SEED") or "") or 20261205
local RUNS = tonumber(os.getenv("EBPF_CLI_FUZZ_RUNS") or "") or 1000

-- Messages of errors that are bugs, not answers to bad input.
local runtime_error_patterns = {
  "attempt to ", "bad argument #", "stack traceback", "%.lua:%d+:", "table expected", "string expected",
}

describe("ebpf command with random arguments", function()
  local dir, object

  setup(function()
    dir = assert(ebpf.core.mkdtemp())
    object = helpers.testdata("elf/globals.bpf.o")
  end)

  teardown(function()
    if dir then ebpf.core.rmdir_private(dir) end
  end)

  -- Tokens: none is a readable file except one BPF object (not Lua: `run`
  -- cannot load it as a script, so no random code is ever executed); -o
  -- values point into the private directory or nowhere.
  local function vocabulary()
    return {
      commands = { "prog", "map", "link", "btf", "features", "run", "disasm", "embed", "help", "version",
        "net", "cgroup", "perf", "struct_ops", "iter", "feature", "-j", "-p",
        "--help", "-h", "--version", "nosuch", "", "-", "--", "PROG", "prog\0x" },
      words = { "list", "show", "dump", "nosuch", "", " ", "-", "--", "=", "--json", "--json=1", "-h", "--help",
        "--format", "--format=c", "--format=raw", "--format=", "--no-helpers", "--kfunc", "--kfunc=bpf_rcu_read_lock",
        "--kfunc=", "--name", "--name=m", "--name=a.b", "--name=1x", "--name=", "-o", "--output", "-e", "-x",
        "--x=y", "0", "1", "2", "-1", "1.5", "0x10", "1e3", "4294967296", "99999999999999999999", "nan", "inf",
        "abc", "add_counter", "a\0b", "line\nbreak", "\255\254", ("x"):rep(5000), "/", "/nonexistent/x.o",
        "/proc/self", "/dev/null", "/dev/zero", "spec", "lua", "%s%d", "--=", "-=", object, object, object,
        "id", "name", "tag", "pinned", "xlated", "jited", "linum", "opcodes", "key", "value", "hex", "0x1f", "ff",
        "lookup", "getnext", "peek", "tree", "dev", "lo", "format", "raw", "c", "file", "-j", "-p", "--pretty",
        dir .. "/out.lua", "/nonexistent/dir/out.lua" },
    }
  end

  local function pick(rng, t) return t[rng(#t)] end

  -- Half of the runs start from what each command expects (so the random
  -- part reaches past the first usage check), then mutate it.
  local function grammar()
    local ids = { "0", "1", "2", "-1", "x", "4294967296", "1.5" }
    -- Read-only commands only: ids may name other processes' objects, so
    -- nothing here updates, deletes, detaches, pins, loads or blocks.
    return {
      prog = { { "list", "show", "dump", "nosuch", "help" }, { "id", "name", "tag", "pinned", "xlated" }, ids,
        { "--json", "--json=x", "", "linum", "opcodes" } },
      map = { { "list", "show", "dump", "lookup", "getnext", "peek" }, { "id", "pinned", "name" }, ids,
        { "key", "--json", "-h" }, { "hex", "0", "1", "0x1" }, { "0", "00", "zz" } },
      link = { { "list", "show" }, { "id", "pinned" }, { "--json", "1" } },
      net = { { "show", "list", "x" }, { "dev", "-j" }, { "lo", "nosuch", "" } },
      cgroup = { { "show", "tree", "list" }, { "/sys/fs/cgroup", "/nonexistent", "/dev/null", "/" }, { "effective" } },
      perf = { { "show", "list", "x" }, { "-j" } },
      struct_ops = { { "show", "list" }, ids },
      iter = { { "x", "help" } },
      feature = { { "probe", "x" }, { "kernel", "--no-helpers" }, { "--no-helpers" } },
      btf = { { "list", "dump" }, { object, "1", "/nonexistent/x.o", "/dev/zero", "/", "abc" },
        { "--format", "--format=raw", "--format=c", "--format=x" }, { "c", "raw", "xml" } },
      features = { { "--json", "--no-helpers", "--kfunc", "--kfunc=bpf_rcu_read_lock" },
        { "--no-helpers", "--kfunc", "bpf_obj_new_impl", "x" }, { "--kfunc", "--json" } },
      run = { { "/nonexistent/x.lua", object, "/", "/dev/zero", "--x", "--", "-h" }, { "a", "--json" } },
      disasm = { { object, "/nonexistent/x.o", "/dev/zero", "/" }, { "add_counter", "nosuch", "" } },
      embed = { { object, "/dev/zero", "/", "/nonexistent/x.o" }, { "--name", "--name=m", "-o" },
        { "m", "a.b", "1x", "", "a..b" }, { "-o", "--output", dir .. "/out.lua" },
        { dir .. "/out.lua", "/nonexistent/dir/out.lua", "--name=m" } },
    }
  end

  local function random_argv(rng, voc, gram)
    local argv
    if rng(2) == 1 then
      local cmds = { "prog", "map", "link", "btf", "features", "run", "disasm", "embed", "net", "cgroup", "perf",
        "struct_ops", "iter", "feature" }
      local cmd = pick(rng, cmds)
      argv = { cmd }
      for _, choices in ipairs(gram[cmd]) do
        if rng(5) > 1 then argv[#argv + 1] = pick(rng, choices) end
      end
      if rng(3) == 1 then table.insert(argv, rng(#argv + 1), pick(rng, voc.words)) end
    else
      argv = { pick(rng, voc.commands) }
      for _ = 1, rng(7) - 1 do argv[#argv + 1] = pick(rng, voc.words) end
    end
    if argv[1] == "run" then
      -- no one-liners: a random -e value could be valid Lua and run here
      for i = 2, #argv do
        if argv[i] == "-e" then argv[i] = "-x" end
        if argv[i] == "/dev/null" then argv[i] = "/nonexistent/x.lua" end -- an empty script would run
      end
    end
    -- an output file always goes to the private directory (a random word
    -- after -o would be a file in the working tree)
    for i = 1, #argv - 1 do
      if (argv[i] == "-o" or argv[i] == "--output") and argv[i + 1]:sub(1, #dir) ~= dir
        and argv[i + 1] ~= "/nonexistent/dir/out.lua" then
        argv[i + 1] = dir .. "/out.lua"
      end
    end
    return argv
  end

  local function show(argv)
    local parts = {}
    for i, a in ipairs(argv) do
      parts[i] = #a > 40 and ("%q"):format(a:sub(1, 40) .. "...(" .. #a .. " bytes)") or ("%q"):format(a)
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end

  -- What the random runs found, as fixed cases.
  local function main(argv)
    local out, err = {}, {}
    local status = cli.main(argv, function(s) out[#out + 1] = s end, function(s) err[#err + 1] = s end)
    return status, table.concat(out), table.concat(err)
  end

  it("refuses an id above u32, a NUL in an argument and an empty --kfunc as usage errors", function()
    local status, _, err = main { "prog", "show", "4294967296" }
    assert.equal(2, status)
    assert.matches("program id must be an integer from 0 to 4294967295, got '4294967296'", err, 1, true)
    status, _, err = main { "run", "a\0b" }
    assert.equal(2, status)
    assert.matches("argument 1 contains a NUL byte", err, 1, true)
    status, _, err = main { "embed", object, "--name", "m", "-o", dir .. "/x\0y" }
    assert.equal(2, status)
    assert.matches("argument 5 contains a NUL byte", err, 1, true)
    status, _, err = main { "features", "--kfunc=" }
    assert.equal(2, status)
    assert.matches("--kfunc needs a function name, got ''", err, 1, true)
  end)

  it("probes every --kfunc given, not only the last", function()
    local status, out, err = main { "features", "--json", "--no-helpers", "--kfunc", "bpf_task_acquire",
      "--kfunc=bpf_task_release", "--kfunc", "ebpf_lua_no_such_kfunc" }
    assert.equal(0, status, err)
    local r = require("spec.json_decode")(out)
    -- the oracle: both kfuncs are in this kernel's BTF, the third is not
    assert.equal("supported", r.kfuncs.bpf_task_acquire.status)
    assert.equal("supported", r.kfuncs.bpf_task_release.status)
    assert.equal("unsupported", r.kfuncs.ebpf_lua_no_such_kfunc.status)
  end)

  it("returns 0, 1 or 2, never raises, and fails with a message, not a Lua error", function()
    local voc, gram = vocabulary(), grammar()
    -- a private generator: math.random stays untouched for other specs
    local state = SEED
    local function rng(n)
      state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
      return (state >> 33) % n + 1
    end
    local seen = { [0] = 0, [1] = 0, [2] = 0 }
    for run = 1, RUNS do
      local argv = random_argv(rng, voc, gram)
      local out, err = {}, {}
      local ok, status = pcall(cli.main, argv, function(s) out[#out + 1] = s end,
        function(s) err[#err + 1] = s end)
      local what = ("run %d (seed %d): ebpf %s"):format(run, SEED, show(argv))
      assert(ok, what .. " raised: " .. tostring(status))
      assert(status == 0 or status == 1 or status == 2, what .. " returned " .. tostring(status))
      seen[status] = seen[status] + 1
      local etext = table.concat(err)
      for _, s in ipairs(out) do assert(type(s) == "string", what .. ": non-string output") end
      -- under -j/-p an error is a JSON object on stdout, with the message
      local otext = table.concat(out)
      if status ~= 0 and etext == "" and otext:match("^{") then
        local okj, j = pcall(require("spec.json_decode"), otext)
        assert(okj and type(j) == "table" and type(j.error) == "string", what .. ": bad JSON error: " .. otext)
        etext = j.error .. (status == 2 and " usage:" or "")
      end
      if status == 2 then
        assert(etext:find("usage:", 1, true), what .. ": usage error without usage: " .. etext)
      elseif status == 1 then
        assert(#etext > 0, what .. ": failed without a message")
        for _, p in ipairs(runtime_error_patterns) do
          assert(not etext:find(p), what .. ": a Lua runtime error escaped: " .. etext:sub(1, 300))
        end
      end
    end
    -- the vocabulary reaches every outcome (a run that only ever hits
    -- usage errors would test the parser's first line and nothing else)
    if os.getenv("EBPF_CLI_FUZZ_VERBOSE") then print(("outcomes 0/1/2: %d/%d/%d"):format(seen[0], seen[1], seen[2])) end
    assert(seen[0] > 0 and seen[1] > 0 and seen[2] > 0,
      ("outcomes 0/1/2: %d/%d/%d"):format(seen[0], seen[1], seen[2]))
  end)
end)
