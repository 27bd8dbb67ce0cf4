--- ebpf.ringbuf: ring buffer readers and user ring buffer writers (see docs/readers.md).
return require("ebpf.core").ringbuf
