--- ebpf.perf: perf event buffer readers (see docs/readers.md).
return require("ebpf.core").perf
