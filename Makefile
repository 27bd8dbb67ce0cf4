# Entry points. `make demo` and `make test` do all set-up on a fresh
# Debian 12 machine (apt-get for what is missing, then build).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
export LUA_PATH := $(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;$(LUA_PATH);;
export LUA_CPATH := $(CURDIR)/$(BUILD)/?.so;$(LUA_CPATH);;

.PHONY: deps build demo test asan-test bench clean link-vm-test

deps:
	./tools/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	lua5.4 examples/demo.lua

test: deps
	BUILD=$(BUILD) CMAKE_ARGS="$(CMAKE_ARGS)" ./tools/run-tests.sh

# The busted suite against an ASan+UBSan build of the core and module
# (lua5.4 itself is not instrumented, so the runtime is preloaded).
asan-test: deps
	BUILD=build-asan CMAKE_ARGS="-DEBPF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)" \
	LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	./tools/run-tests.sh

# Link specs for kprobes/fentry/LSM inside other kernels (qemu).
link-vm-test: build
	BUILD=$(BUILD) ./tools/link-vm-test.sh

bench: build
	./bench/run all

clean:
	rm -rf build build-asan build.luarocks
