-- luacheck configuration (Debian package lua-check): Lua 5.4 everywhere,
-- busted globals in specs.
std = "lua54"
max_line_length = 160
files["spec/"] = { std = "+busted" }
