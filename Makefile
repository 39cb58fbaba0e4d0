# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tracesmith-bpf: make [all|static|test|unit|bpf-test|test-arm64|lint|format|bench|clean] [ARCH=arm64]

OUT      := build
ARCH     := x86
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

# `make ARCH=arm64 [static]`: build/arm64/tracesmith-bpf-static for arm64 (Grace nodes), built
# with Debian's cross compiler (gcc-aarch64-linux-gnu) against Debian's arm64 libraries, which
# scripts/arm64-sysroot.sh fetches into build/arm64/sysroot (no foreign architecture installed).
ifeq ($(ARCH),arm64)
OUT      := build/arm64
CROSS    ?= aarch64-linux-gnu-
CC       := $(CROSS)gcc
ARCH_CFLAGS  := -I$(OUT)/sysroot/usr/include
ARCH_LDFLAGS := -L$(OUT)/sysroot/usr/lib/aarch64-linux-gnu
.DEFAULT_GOAL := static
ifeq ($(filter clean,$(MAKECMDGOALS))$(shell command -v $(CC)),)
$(error ARCH=arm64 needs $(CC): scripts/setup.sh --deps-only installs gcc-aarch64-linux-gnu)
endif
else ifneq ($(ARCH),x86)
$(error ARCH=$(ARCH): the architectures are x86 (the default) and arm64)
endif

# Quiet by default (libbpf-bootstrap's habit); `make V=1` prints every command.
ifeq ($(V),1)
Q   :=
msg :=
else
Q   := @
msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(abspath $(OUT))/%,%,$(2))";
endif

CFLAGS   ?= -O2 -g
# What every build needs, apart from CFLAGS: `make CFLAGS+=-fsanitize=...` adds, never drops these.
TS_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
             -std=gnu11 -I$(OUT) -Ibpf -Iuser -DTS_VERSION='"$(VERSION)"' $(ARCH_CFLAGS)
ALL_CFLAGS = $(TS_CFLAGS) $(CFLAGS)
LDLIBS   := -lbpf -lelf -lz -liberty -lsqlite3 -lm -lmicrohttpd -lncursesw -ltinfo
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
              -Wall -Wno-unused-function

# The pipeline past the ring buffer: no BPF, no root; the unit tests link it.
CORE_SRCS := $(addprefix lib/,util.c hashmap.c strmap.c hist.c safepath.c budget.c) \
	     $(addprefix encode/,outfile.c outbuf.c jsonw.c pbenc.c utf8.c) \
	     $(addprefix probe/,hooks.c abi_$(ARCH).c curesult.c names.c pylayout.c) \
	     $(addprefix record/,decode.c capture.c hostid.c validate.c) \
	     $(addprefix write/,json_writer.c rank_split.c pftrace_writer.c sqlite_writer.c sqlite_schema.c \
		sqlite_stacks.c sqlite_nsys.c \
		stats_writer.c stats_print.c metrics_writer.c prom_text.c) \
	     $(addprefix correlate/,dispatch.c state.c gpu_track.c gpu_facts.c graph_track.c ops.c \
		driver_track.c gpu_time.c kept_names.c nvtx_track.c nvdecode.c nvnames.c demangle.c \
		nccl_track.c runtime_track.c callsite.c stacks.c pyline310.c) \
	     $(addprefix run/,live.c outputs.c recq.c flight.c outname.c)
# The tool: the core, plus what needs BPF, ptrace or a command line.
TOOL_SRCS := $(CORE_SRCS) $(addprefix probe/,libfind.c loader.c elfsyms.c pyfind.c) \
	     $(addprefix cupti/,gputime.c ptrace_call.c ptrace_$(ARCH).c) lib/injlib.c nvtx/nvtxlib.c \
	     $(addprefix run/,child.c \
		metrics_http.c libwatch.c sites.c) \
	     $(addprefix sql/,sqlquery.c guard.c tempcap.c reports.c) \
	     $(addprefix cmd/,trace.c trace_opts.c top.c replay.c stats.c query.c merge.c) main.c
CORE_OBJS := $(addprefix $(OUT)/,$(CORE_SRCS:.c=.o))
TOOL_OBJS := $(addprefix $(OUT)/,$(TOOL_SRCS:.c=.o)) $(OUT)/cupti/cupti_blob.o \
	     $(OUT)/nvtx/nvtx_blob.o $(OUT)/sql/reports_blob.o

BIN      := $(OUT)/tracesmith-bpf
FAKECUDA := $(OUT)/fakecuda/libcuda.so.1
FAKECUPTI := $(OUT)/fakecupti/libcupti.so
# --gpu-time's injection library: loaded by the traced process, carried inside the tracer
CUPTI_LIB := $(OUT)/libtracesmith-cupti.so
# NVTX's injection library: loaded by the traced -- command at its first NVTX call
NVTX_LIB := $(OUT)/libtracesmith-nvtx.so
FAKEAPP  := $(OUT)/fakeapp
# another user's library, planted where the tracer keeps its own (test_run_trust)
PLANTED  := $(OUT)/planted/libplanted.so
# Tests are named for the stage they test: unit tests (no root) test_<stage>[_topic],
# runs of the whole tool (root, real BPF) test_run_<topic>.
UNIT_NAMES := test_lib test_encode test_encode_harden test_encode_outfile test_probe \
	      test_record test_record_valid test_record_launch test_correlate test_correlate_names \
	      test_correlate_lanes test_correlate_join test_correlate_nvdecode test_correlate_stacks \
	      test_recq test_write_json \
	      test_write_stats test_write_golden test_write_metrics test_write_budget \
	      test_sql_query test_sql_nsys test_probe_pylayout
UNIT_TESTS := $(addprefix $(OUT)/,$(UNIT_NAMES))
BPF_TESTS  := $(addprefix $(OUT)/,test_run_trace test_run_safety test_run_procs test_run_graphs \
	      test_run_driver test_run_gputime test_run_merge test_run_probes test_run_untrusted \
	      test_run_trust test_run_metrics test_run_flight test_run_budget \
	      test_run_nvtx test_run_nccl test_run_stacks test_run_runtime test_run_top)

.PHONY: test-build all static test unit bpf-test lint format bench clean demo fuzz fixtures sanitize \
	test-arm64
all: $(BIN) tracesmith-bpf $(CUPTI_LIB) $(NVTX_LIB)

tracesmith-bpf: $(BIN)
	ln -sf $(BIN) $@

$(OUT):
	$(Q)mkdir -p $(OUT) $(OUT)/fakecuda $(OUT)/fakecupti

ifeq ($(ARCH),arm64)
$(OUT): | $(OUT)/sysroot.stamp
$(OUT)/sysroot.stamp:
	$(call msg,FETCH,$(OUT)/sysroot)
	$(Q)scripts/arm64-sysroot.sh $(OUT)
endif

$(OUT)/tracesmith.bpf.o: bpf/tracesmith.bpf.c bpf/gpu_handoff.bpf.h bpf/nvtx_handoff.bpf.h \
			 bpf/driver.bpf.h bpf/libwatch.bpf.h bpf/pystack.bpf.h \
			  bpf/arch_x86.h bpf/arch_arm64.h bpf/tracesmith.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/tracesmith.skel.h: $(OUT)/tracesmith.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tracesmith_bpf > $@

# A failed recipe leaves no half-written target behind.
.DELETE_ON_ERROR:

# Each object depends on the headers it includes (-MMD), no more.
$(OUT)/%.o: user/%.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(TOOL_OBJS:.o=.d)

$(OUT)/probe/loader.o: $(OUT)/tracesmith.skel.h

# Rewritten when `git describe` changes: the objects that name the version are
# rebuilt, so `version` and every trace's otherData never name an older build.
$(OUT)/version.stamp: FORCE | $(OUT)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
.PHONY: FORCE
FORCE:
$(addprefix $(OUT)/,cmd/trace.o run/outputs.o cmd/merge.o main.o record/capture.o): $(OUT)/version.stamp

# Fixed flags: it runs inside the traced program, never with our sanitizers.
$(CUPTI_LIB): user/cupti/inject.c user/cupti/cupti_abi.h user/cupti/driver_cbids.h \
	      bpf/tracesmith.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fPIC -shared -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter \
		-std=gnu11 -Ibpf -Iuser $< -o $@ -ldl -lpthread

$(OUT)/cupti/cupti_blob.o: user/cupti/cupti_blob.S $(CUPTI_LIB)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c -Wa,-I$(OUT) $< -o $@

# The same for NVTX's: inside every -- command that uses NVTX.
$(NVTX_LIB): user/nvtx/inject.c user/nvtx/nvtx_abi.h user/encode/utf8.c user/encode/utf8.h \
	     bpf/tracesmith.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fPIC -shared -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter \
		-std=gnu11 -Ibpf -Iuser $< user/encode/utf8.c -o $@ -lpthread

$(OUT)/nvtx/nvtx_blob.o: user/nvtx/nvtx_blob.S $(NVTX_LIB)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c -Wa,-I$(OUT) $< -o $@

$(OUT)/sql/reports_blob.o: user/sql/reports_blob.S $(wildcard reports/*.sql) | $(OUT)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c -Wa,-I. $< -o $@

$(BIN): $(TOOL_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ARCH_LDFLAGS) $(LDLIBS)

# One file to copy to a GPU node: libbpf, libelf, zlib, ncurses (top: Debian's libncursesw.a and
# libtinfo.a; it reads the node's terminfo, /usr/share/terminfo, at run time) linked in.
# Without --metrics' HTTP server: libmicrohttpd.a needs gnutls, and gnutls needs
# p11-kit, which Debian ships no static library of (--metrics says so there).
STATIC_OBJS := $(filter-out $(OUT)/run/metrics_http.o,$(TOOL_OBJS)) $(OUT)/run/metrics_http_none.o
$(OUT)/run/metrics_http_none.o: user/run/metrics_http.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -DTS_NO_METRICS_HTTP -MMD -MP -c $< -o $@

static: $(STATIC_OBJS)
	$(call msg,BINARY,$(OUT)/tracesmith-bpf-static)
	$(Q)$(CC) $(ALL_CFLAGS) -static $^ -o $(OUT)/tracesmith-bpf-static $(ARCH_LDFLAGS) \
		$(filter-out -lmicrohttpd,$(LDLIBS)) -lzstd -lpthread -ldl

# --- tests -----------------------------------------------------------------
TEST_CFLAGS = $(ALL_CFLAGS) -Itests
TEST_LIBS   := -lcmocka -ljson-c

$(FAKECUDA): tests/fakecuda/libcuda.c tests/fakecuda/cuda_types.h tests/fakecupti/fake_prof.h \
	     tests/workloads.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fPIC -shared -Wall -Itests -Itests/fakecuda -Wl,-soname,libcuda.so.1 $< -o $@ \
		-lpthread -ldl

$(FAKECUPTI): tests/fakecupti/libcupti.c tests/fakecupti/fake_prof.h user/cupti/cupti_abi.h \
	      | $(OUT)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fPIC -shared -Wall -Iuser -Wl,-soname,libcupti.so.13 $< -o $@ -lpthread -ldl

# the stand-in NCCL, with NCCL's soname, and the program that dlopens it late (test_run_nccl)
FAKENCCL := $(OUT)/fakenccl/libnccl.so.2
NCCLAPP  := $(OUT)/fakenccl/ncclapp
$(FAKENCCL): tests/fakenccl/libnccl.c tests/fakenccl/nccl_types.h | $(OUT)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fPIC -shared -Wall -Wl,-soname,libnccl.so.2 $< -o $@ -ldl

$(NCCLAPP): tests/fakenccl/ncclapp.c tests/fakenccl/nccl_types.h tests/fakenccl/nccl_workload.h \
	    | $(OUT)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -Wall $< -o $@ -ldl

# the stand-in CUDA runtime, with the runtime's soname, and the program that dlopens it late
# (test_run_runtime)
FAKECUDART := $(OUT)/fakecudart/libcudart.so.13
RTAPP      := $(OUT)/fakecudart/rtapp
$(FAKECUDART): tests/fakecudart/libcudart.c tests/fakecudart/cudart_types.h \
	       tests/fakecuda/cuda_types.h | $(OUT)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fPIC -shared -Wall -Itests/fakecuda -Wl,-soname,libcudart.so.13 $< -o $@ \
		-ldl

$(RTAPP): tests/fakecudart/rtapp.c tests/fakecudart/cudart_types.h tests/fakecudart/rt_workload.h \
	  | $(OUT)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -Wall $< -o $@ -ldl

$(PLANTED): tests/planted/libplanted.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fPIC -shared -Wall $< -o $@

$(FAKEAPP): tests/fakeapp.c tests/fakecuda/cuda_types.h tests/workloads.h tests/hostile.h \
	    tests/fakenvtx.h user/nvtx/nvtx_abi.h bpf/tracesmith.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -Wall -Ibpf -Iuser -Itests -Itests/fakecuda $< -o $@ -ldl -lpthread

PIPE_SRCS := tests/pipe.c tests/canned.c tests/trace_json.c tests/tmpdir.c tests/prom_parse.c
PIPE_HDRS := tests/pipe.h tests/canned.h tests/trace_json.h tests/tmpdir.h tests/prom_parse.h

RUN_SRCS := tests/tracer_run.c tests/trace_json.c tests/tmpdir.c
RUN_HDRS := tests/tracer_run.h tests/trace_json.h tests/workloads.h tests/tmpdir.h

# Unit tests: the pipeline past the ring buffer on canned records and files.
$(UNIT_TESTS): $(OUT)/test_%: tests/test_%.c tests/hostile.h $(PIPE_SRCS) $(PIPE_HDRS) \
	       $(CORE_OBJS) | $(BIN)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $< $(PIPE_SRCS) $(CORE_OBJS) -o $@ $(TEST_LIBS) -lz -liberty \
		-lsqlite3 -lm

# Runs of the tool as root: tracing, outputs and signals, processes, graphs, --gpu-time (with
# the stand-in libcupti), merge, the kernel's run counts of our probes, what a traced process
# controls (dirty argument bits, a forged --gpu-time hand-off).
$(OUT)/test_run_probes: RUN_LIBS := -lbpf
$(OUT)/test_run_graphs: RUN_EXTRA := tests/pipe.c tests/canned.c $(CORE_OBJS)
$(OUT)/test_run_graphs: RUN_LIBS := -lz -liberty -lsqlite3 -lm
$(OUT)/test_run_graphs: tests/pipe.c tests/pipe.h tests/canned.c tests/canned.h $(CORE_OBJS)
$(OUT)/test_run_gputime: tests/fakecupti/fake_prof.h
$(OUT)/test_run_metrics: RUN_EXTRA := tests/prom_parse.c
$(OUT)/test_run_metrics: tests/prom_parse.c tests/prom_parse.h
$(OUT)/test_run_nvtx: RUN_LIBS := -lsqlite3
$(OUT)/test_run_nvtx: RUN_EXTRA := tests/sql_int.c
$(OUT)/test_run_nvtx: tests/sql_int.c tests/sql_int.h
$(OUT)/test_run_runtime: RUN_LIBS := -lsqlite3 -lm
$(OUT)/test_run_runtime: RUN_EXTRA := tests/sql_int.c
$(OUT)/test_run_runtime: tests/sql_int.c tests/sql_int.h
$(BPF_TESTS): $(OUT)/test_run_%: tests/test_run_%.c $(RUN_SRCS) $(RUN_HDRS) | $(OUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $< $(RUN_SRCS) $(RUN_EXTRA) -o $@ $(TEST_LIBS) $(RUN_LIBS)

$(OUT)/gen_capture: tests/gen_capture.c tests/canned.c tests/canned.h $(CORE_OBJS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) tests/gen_capture.c tests/canned.c $(CORE_OBJS) -o $@ -lz -liberty -lsqlite3 -lm

# --- sanitizers: ASan + UBSan, any finding stops the run ----------------------
SAN_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
SAN_ENV	  := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
CORE_PATHS := $(addprefix user/,$(CORE_SRCS))

# libFuzzer on the capture parser and decoder (seeded with the fixtures), and
# on the writers with hostile names and values.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := $(OUT)/fuzz_capture $(OUT)/fuzz_writers
$(OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_PATHS) user/*.h user/*/*.h | $(OUT)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -fsanitize=fuzzer -Ibpf -Iuser -DTS_VERSION='"fuzz"' \
		$< $(CORE_PATHS) -o $@ -lz -liberty -lsqlite3 -lm -ljson-c

fuzz: $(FUZZ_TARGETS)
	rm -rf $(OUT)/fuzz-corpus && mkdir -p $(OUT)/fuzz-corpus $(OUT)/fuzz-writers-corpus
	cp tests/fixtures/*.tsbpf $(OUT)/fuzz-corpus/
	$(SAN_ENV) $(OUT)/fuzz_capture tests/fuzz/regressions/* >/dev/null 2>&1 || \
		{ echo "fuzz: a regression input fails again"; exit 1; }
	$(Q)for t in capture writers; do \
		corpus=$(OUT)/fuzz-corpus; [ $$t = writers ] && corpus=$(OUT)/fuzz-writers-corpus; \
		$(SAN_ENV) $(OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=262144 \
			-timeout=10 -artifact_prefix=$(OUT)/fuzz-$$t- -print_final_stats=1 \
			$$corpus >$(OUT)/fuzz-$$t.log 2>&1; st=$$?; \
		echo "fuzz_$$t:"; tail -6 $(OUT)/fuzz-$$t.log; \
		[ $$st -eq 0 ] || { echo "fuzz: FAILED: a crashing input is in $(OUT)/fuzz-$$t-*;" \
			"copy it to tests/fuzz/regressions/"; exit $$st; }; \
	done

# The unit tests again, built with the sanitizers (the BPF tests run the tool).
# The core and the test helpers are compiled once into san/ and linked into
# each test: compiling them again per test was most of .ci/run's sanitize time.
SAN_OBJS := $(addprefix $(OUT)/san/,$(CORE_SRCS:.c=.o)) \
	    $(addprefix $(OUT)/san/tests/,$(notdir $(PIPE_SRCS:.c=.o)))
$(OUT)/san/%.o: user/%.c | $(OUT)
	$(Q)mkdir -p $(dir $@)
	$(call msg,SANCC,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -Ibpf -Iuser -DTS_VERSION='"san"' -MMD -MP -c $< -o $@
$(OUT)/san/tests/%.o: tests/%.c | $(OUT)
	$(Q)mkdir -p $(dir $@)
	$(call msg,SANCC,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -Ibpf -Iuser -Itests -MMD -MP -c $< -o $@
.SECONDARY: $(SAN_OBJS)
-include $(SAN_OBJS:.o=.d)
$(OUT)/san/test_%: tests/test_%.c $(SAN_OBJS) tests/*.h | $(OUT)
	$(call msg,SAN,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -Ibpf -Iuser -Itests -DTS_VERSION='"san"' $< $(SAN_OBJS) \
		-o $@ -lcmocka -ljson-c -lz -liberty -lsqlite3 -lm

SAN_TESTS := $(UNIT_NAMES)
sanitize: $(BIN) $(addprefix $(OUT)/san/,$(SAN_TESTS))
	$(Q)for t in $(SAN_TESTS); do \
		$(SAN_ENV) TS_BIN=$(abspath $(BIN)) $(OUT)/san/$$t || exit 1; done

# --- benchmarks (root): results go in BENCHMARKS.md --------------------------
$(OUT)/floor.bpf.o: bench/floor.bpf.c | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/floor.skel.h: $(OUT)/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(OUT)/floor: bench/floor.c $(OUT)/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) bench/floor.c -o $@ -lbpf -lelf -lz

# NVTX push/pop cost: built with the CUDA toolkit's own NVTX v3 headers, where installed
NVTX3_INC ?= /usr/local/cuda/include
NVTXSTORM := $(if $(wildcard $(NVTX3_INC)/nvtx3/nvToolsExt.h),$(OUT)/nvtxstorm)
$(OUT)/nvtxstorm: bench/nvtxstorm.c | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -I$(NVTX3_INC) $< -o $@ -ldl

bench: $(BIN) $(FAKECUDA) $(FAKEAPP) $(FAKECUDART) $(RTAPP) $(FAKENCCL) $(NCCLAPP) $(OUT)/floor $(OUT)/gen_capture $(NVTX_LIB) $(NVTXSTORM)
	scripts/bench.sh

unit: $(UNIT_TESTS)
	$(Q)for t in $(UNIT_TESTS); do TS_BIN=$(abspath $(BIN)) $$t || exit 1; done

bpf-test: $(BIN) $(FAKECUDA) $(FAKECUPTI) $(FAKEAPP) $(PLANTED) $(FAKENCCL) $(NCCLAPP) \
	  $(FAKECUDART) $(RTAPP) $(BPF_TESTS)
	$(Q)for t in $(BPF_TESTS); do TS_BIN=$(abspath $(BIN)) TS_FAKECUDA=$(abspath $(FAKECUDA)) \
		TS_FAKECUPTI=$(abspath $(FAKECUPTI)) TS_FAKEAPP=$(abspath $(FAKEAPP)) \
		TS_PLANTED=$(abspath $(PLANTED)) TS_NVTX3_APP_SRC=$(abspath tests/nvtx3_app.c) \
		TS_FAKENCCL=$(abspath $(FAKENCCL)) TS_NCCLAPP=$(abspath $(NCCLAPP)) \
		TS_FAKECUDART=$(abspath $(FAKECUDART)) TS_RTAPP=$(abspath $(RTAPP)) $$t || exit 1; \
	done

test: all unit bpf-test sanitize fuzz lint

# Everything `make test` runs, built first in parallel (scripts/test.sh: make -j test-build);
# the tests themselves then run one suite at a time.
test-build: all $(UNIT_TESTS) $(BPF_TESTS) $(FAKECUDA) $(FAKECUPTI) $(FAKEAPP) $(PLANTED) \
	$(FAKENCCL) $(NCCLAPP) $(FAKECUDART) $(RTAPP) $(addprefix $(OUT)/san/,$(SAN_TESTS)) \
	$(FUZZ_TARGETS)

# arm64 (make ARCH=arm64) traced under qemu on Debian's arm64 6.1 kernel (root): scripts/test.sh
# runs it after `make test`
test-arm64:
	scripts/test-arm64.sh

# Re-record tests/fixtures from the stand-in driver (root); review the golden diffs.
fixtures: $(BIN) $(FAKECUDA) $(FAKEAPP)
	scripts/record-fixtures.sh

demo: $(BIN) $(FAKECUDA) $(FAKEAPP)
	$(BIN) --lib $(FAKECUDA) -o demo.json -- $(FAKEAPP) --lib $(FAKECUDA) all
	@echo "open demo.json in https://ui.perfetto.dev"

# --- style -----------------------------------------------------------------
C_FILES := $(wildcard bpf/*.c bpf/*.h user/*.c user/*.h user/*/*.c user/*/*.h tests/*.c tests/*.h tests/*/*.c \
             tests/*/*.h bench/*.c bench/*.h)

lint:
	$(Q)clang-format --dry-run --Werror $(C_FILES)
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem --suppress=unknownMacro -Ibpf -Iuser user tests

format:
	clang-format -i $(C_FILES)

clean:
	rm -rf $(OUT) tracesmith-bpf
