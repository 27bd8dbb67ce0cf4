# EbpfEmbed.cmake: compile a BPF C source and embed the object in a Lua
# module, in one build step (what bpf2go does for Go).
#
#   include(EbpfEmbed)          # with this directory on CMAKE_MODULE_PATH
#   ebpf_embed(<target> SOURCE probe.bpf.c [MODULE name] [CFLAGS ...]
#              [INCLUDE_DIRECTORIES dir...] [DESTINATION luadir])
#
# builds ${CMAKE_CURRENT_BINARY_DIR}/<module>.lua (module defaults to the
# target name) through `ebpf embed`, adds <target> (ALL) producing it, and
# installs it to DESTINATION when given. Then `require("<module>").load()`
# returns the loaded collection; no clang is needed where it runs.
#
# Variables: EBPF_CLANG (clang for -target bpf; found if unset),
# EBPF_EMBED_TOOL (the `ebpf` command; found on PATH, else this source
# tree's bin/ebpf), EBPF_LUA (lua5.4, to run the tool from a source tree).

set(_EBPF_EMBED_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)

function(ebpf_embed target)
  cmake_parse_arguments(E "" "SOURCE;MODULE;DESTINATION" "CFLAGS;INCLUDE_DIRECTORIES" ${ARGN})
  if(NOT E_SOURCE)
    message(FATAL_ERROR "ebpf_embed(${target}): SOURCE is required")
  endif()
  if(NOT E_MODULE)
    set(E_MODULE ${target})
  endif()
  if(NOT EBPF_CLANG)
    find_program(EBPF_CLANG NAMES clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 clang REQUIRED)
  endif()
  if(NOT EBPF_EMBED_TOOL)
    if(EXISTS ${_EBPF_EMBED_ROOT}/bin/ebpf AND EXISTS ${_EBPF_EMBED_ROOT}/lua/ebpf/cli.lua)
      find_program(EBPF_LUA NAMES lua5.4 lua REQUIRED)
      set(EBPF_EMBED_TOOL ${EBPF_LUA} ${_EBPF_EMBED_ROOT}/bin/ebpf)
    else()
      find_program(EBPF_EMBED_EXE NAMES ebpf REQUIRED)
      set(EBPF_EMBED_TOOL ${EBPF_EMBED_EXE})
    endif()
  endif()
  get_filename_component(src ${E_SOURCE} ABSOLUTE)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${E_MODULE}.bpf.o)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${E_MODULE}.lua)
  set(incs)
  foreach(d ${E_INCLUDE_DIRECTORIES})
    get_filename_component(d ${d} ABSOLUTE)
    list(APPEND incs -I${d})
  endforeach()
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    set(arch x86)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(arch arm64)
  else()
    set(arch ${CMAKE_SYSTEM_PROCESSOR})
  endif()
  # <asm/types.h> lives in the multiarch include dir (Debian/Ubuntu).
  set(multiarch ${CMAKE_LIBRARY_ARCHITECTURE})
  if(NOT multiarch)
    set(multiarch ${CMAKE_SYSTEM_PROCESSOR}-linux-gnu)
  endif()
  add_custom_command(OUTPUT ${obj}
    COMMAND ${EBPF_CLANG} -O2 -g -target bpf -D__TARGET_ARCH_${arch} ${incs} ${E_CFLAGS}
            -idirafter /usr/include/${multiarch} -c ${src} -o ${obj}
    DEPENDS ${src}
    COMMENT "Compiling BPF object ${E_MODULE}.bpf.o"
    VERBATIM)
  add_custom_command(OUTPUT ${out}
    COMMAND ${EBPF_EMBED_TOOL} embed ${obj} --name ${E_MODULE} -o ${out}
    DEPENDS ${obj}
    COMMENT "Embedding ${E_MODULE}.bpf.o in Lua module ${E_MODULE}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${out})
  set_target_properties(${target} PROPERTIES EBPF_EMBED_MODULE ${out})
  if(E_DESTINATION)
    install(FILES ${out} DESTINATION ${E_DESTINATION})
  endif()
endfunction()
