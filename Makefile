# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tracesmith-bpf: make [all|static|test|unit|bpf-test|lint|format|bench|clean]

OUT      := build
ARCH     := x86
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

CFLAGS   ?= -O2 -g
# What every build needs, apart from CFLAGS: `make CFLAGS+=-fsanitize=...` adds, never drops these.
TS_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
             -std=gnu11 -I$(OUT) -Ibpf -Iuser -DTS_VERSION='"$(VERSION)"'
ALL_CFLAGS = $(TS_CFLAGS) $(CFLAGS)
LDLIBS   := -lbpf -lelf -lz -liberty -lsqlite3 -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
              -Wall -Wno-unused-function

# The pipeline past the ring buffer: no BPF, no root; the unit tests link it.
CORE_SRCS := hooks.c curesult.c util.c outbuf.c hashmap.c demangle.c decode.c correlate/dispatch.c \
             budget.c correlate/kept_names.c \
             correlate/state.c correlate/gpu_track.c correlate/graph_track.c correlate/ops.c \
             correlate/driver_track.c correlate/gpu_time.c nvdecode.c nvnames.c \
             json_writer.c jsonw.c utf8.c pbenc.c pftrace_writer.c writer.c live.c names.c capture.c \
             outputs.c outfile.c stats.c stats_print.c strmap.c hist.c sqlite_writer.c \
             sqlite_schema.c hostid.c
TOOL_SRCS := $(CORE_SRCS) libfind.c loader.c child.c ptrace_call.c gputime.c trace.c replay.c stats_cmd.c \
	     sqlquery.c reports.c query_cmd.c merge.c outname.c main.c
CORE_OBJS := $(addprefix $(OUT)/,$(CORE_SRCS:.c=.o))
TOOL_OBJS := $(addprefix $(OUT)/,$(TOOL_SRCS:.c=.o)) $(OUT)/cupti_blob.o $(OUT)/reports_blob.o

BIN      := $(OUT)/tracesmith-bpf
FAKECUDA := $(OUT)/fakecuda/libcuda.so.1
FAKECUPTI := $(OUT)/fakecupti/libcupti.so
# --gpu-time's injection library: loaded by the traced process, carried inside the tracer
CUPTI_LIB := $(OUT)/libtracesmith-cupti.so
FAKEAPP  := $(OUT)/fakeapp
UNIT_TESTS := $(OUT)/test_unit $(OUT)/test_harden $(OUT)/test_stats $(OUT)/test_nvdecode \
	      $(OUT)/test_sql $(OUT)/test_budget
BPF_TESTS  := $(OUT)/test_bpf $(OUT)/test_safety $(OUT)/test_procs $(OUT)/test_budget_live \
	      $(OUT)/test_graphs \
	      $(OUT)/test_gputime $(OUT)/test_merge $(OUT)/test_probes

.PHONY: all static test unit bpf-test lint format bench clean demo fuzz fixtures sanitize
all: $(BIN) tracesmith-bpf $(CUPTI_LIB)

tracesmith-bpf: $(BIN)
	ln -sf $(BIN) $@

$(OUT):
	mkdir -p $(OUT) $(OUT)/fakecuda $(OUT)/fakecupti

$(OUT)/tracesmith.bpf.o: bpf/tracesmith.bpf.c bpf/gpu_handoff.bpf.h bpf/tracesmith.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/tracesmith.skel.h: $(OUT)/tracesmith.bpf.o
	$(BPFTOOL) gen skeleton $< name tracesmith_bpf > $@

# A failed recipe leaves no half-written target behind.
.DELETE_ON_ERROR:

# Each object depends on the headers it includes (-MMD), no more.
$(OUT)/%.o: user/%.c | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(TOOL_OBJS:.o=.d)

$(OUT)/loader.o: $(OUT)/tracesmith.skel.h

# Rewritten when `git describe` changes: the objects that name the version are
# rebuilt, so `version` and every trace's otherData never name an older build.
$(OUT)/version.stamp: FORCE | $(OUT)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
.PHONY: FORCE
FORCE:
$(addprefix $(OUT)/,trace.o outputs.o merge.o main.o capture.o): $(OUT)/version.stamp

# Fixed flags: it runs inside the traced program, never with our sanitizers.
$(CUPTI_LIB): user/cupti/inject.c user/cupti/cupti_abi.h user/cupti/driver_cbids.h \
	      bpf/tracesmith.h | $(OUT)
	$(CC) -O2 -g -fPIC -shared -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter \
		-std=gnu11 -Ibpf $< -o $@ -ldl -lpthread

$(OUT)/cupti_blob.o: user/cupti_blob.S $(CUPTI_LIB)
	$(CC) -c -Wa,-I$(OUT) $< -o $@

$(OUT)/reports_blob.o: user/reports_blob.S $(wildcard reports/*.sql) | $(OUT)
	$(CC) -c -Wa,-I. $< -o $@

$(BIN): $(TOOL_OBJS)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

# One file to copy to a GPU node: libbpf, libelf, zlib and libstdc++ linked in.
static: $(TOOL_OBJS)
	$(CC) $(ALL_CFLAGS) -static $^ -o $(OUT)/tracesmith-bpf-static $(LDLIBS) -lzstd -lpthread -ldl
	@echo "built $(OUT)/tracesmith-bpf-static"

# --- tests -----------------------------------------------------------------
TEST_CFLAGS = $(ALL_CFLAGS) -Itests
TEST_LIBS   := -lcmocka -ljson-c

$(FAKECUDA): tests/fakecuda/libcuda.c tests/fakecuda/cuda_types.h tests/fakecupti/fake_prof.h \
	     | $(OUT)
	$(CC) -O2 -g -fPIC -shared -Wall -Itests/fakecuda -Wl,-soname,libcuda.so.1 $< -o $@ \
		-lpthread -ldl

$(FAKECUPTI): tests/fakecupti/libcupti.c tests/fakecupti/fake_prof.h user/cupti/cupti_abi.h \
	      | $(OUT)
	@mkdir -p $(@D)
	$(CC) -O2 -g -fPIC -shared -Wall -Wl,-soname,libcupti.so.13 $< -o $@ -lpthread -ldl

$(FAKEAPP): tests/fakeapp.c tests/fakecuda/cuda_types.h tests/workloads.h tests/hostile.h | $(OUT)
	$(CC) -O1 -g -Wall -Itests/fakecuda $< -o $@ -ldl -lpthread

PIPE_SRCS := tests/pipe.c tests/canned.c tests/trace_json.c tests/tmpdir.c
PIPE_HDRS := tests/pipe.h tests/canned.h tests/trace_json.h tests/tmpdir.h

$(OUT)/test_unit: $(BIN) tests/test_unit.c $(PIPE_SRCS) $(PIPE_HDRS) $(CORE_OBJS)
	$(CC) $(TEST_CFLAGS) tests/test_unit.c $(PIPE_SRCS) $(CORE_OBJS) \
		-o $@ $(TEST_LIBS) -lz -liberty -lsqlite3 -lm

RUN_SRCS := tests/tracer_run.c tests/trace_json.c tests/tmpdir.c
RUN_HDRS := tests/tracer_run.h tests/trace_json.h tests/workloads.h tests/tmpdir.h

$(OUT)/test_bpf: tests/test_bpf.c $(RUN_SRCS) $(RUN_HDRS) | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_bpf.c $(RUN_SRCS) -o $@ $(TEST_LIBS)

# Outputs, signals, exit statuses, hostile names: real runs, as root.
$(OUT)/test_safety: tests/test_safety.c $(RUN_SRCS) $(RUN_HDRS) | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_safety.c $(RUN_SRCS) -o $@ $(TEST_LIBS)

# merge: captures of two hosts (UTS namespaces) into one trace.
$(OUT)/test_merge: tests/test_merge.c $(RUN_SRCS) $(RUN_HDRS) | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_merge.c $(RUN_SRCS) -o $@ $(TEST_LIBS)

# --gpu-time with the stand-in libcupti: measured times, joins, CUPTI failures.
$(OUT)/test_gputime: tests/test_gputime.c tests/fakecupti/fake_prof.h $(RUN_SRCS) $(RUN_HDRS) \
		     | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_gputime.c $(RUN_SRCS) -o $@ $(TEST_LIBS)

# Process identity from the kernel: short-lived, forking and exec'ing processes.
$(OUT)/test_procs: tests/test_procs.c $(RUN_SRCS) $(RUN_HDRS) | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_procs.c $(RUN_SRCS) -o $@ $(TEST_LIBS)

# The memory budget, live: 100k streams from the stand-in driver.
$(OUT)/test_budget_live: tests/test_budget_live.c $(RUN_SRCS) $(RUN_HDRS) | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_budget_live.c $(RUN_SRCS) -o $@ $(TEST_LIBS)

$(OUT)/test_probes: tests/test_probes.c $(RUN_SRCS) $(RUN_HDRS) | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_probes.c $(RUN_SRCS) -o $@ $(TEST_LIBS) -lbpf

# CUDA graphs: a real trace of the graphs workload, and the bounds on canned records.
$(OUT)/test_graphs: tests/test_graphs.c $(RUN_SRCS) $(RUN_HDRS) tests/pipe.c tests/pipe.h \
		    tests/canned.c tests/canned.h $(CORE_OBJS) | $(OUT)
	$(CC) $(TEST_CFLAGS) tests/test_graphs.c $(RUN_SRCS) tests/pipe.c tests/canned.c \
		$(CORE_OBJS) -o $@ $(TEST_LIBS) -lz -liberty -lsqlite3 -lm

# The same without BPF: output files, UTF-8, demangling, option ranges.
# test_stats, test_nvdecode: the stats writer and the NVIDIA decoders on canned input.
$(OUT)/test_harden $(OUT)/test_stats $(OUT)/test_nvdecode $(OUT)/test_sql $(OUT)/test_budget: \
		$(OUT)/test_%: \
		tests/test_%.c \
		tests/hostile.h $(PIPE_SRCS) $(PIPE_HDRS) $(CORE_OBJS)
	$(CC) $(TEST_CFLAGS) $< $(PIPE_SRCS) $(CORE_OBJS) -o $@ $(TEST_LIBS) -lz -liberty -lsqlite3 -lm

$(OUT)/gen_capture: tests/gen_capture.c tests/canned.c tests/canned.h $(CORE_OBJS)
	$(CC) $(TEST_CFLAGS) tests/gen_capture.c tests/canned.c $(CORE_OBJS) -o $@ -lz -liberty -lsqlite3 -lm

# --- sanitizers: ASan + UBSan, any finding stops the run ----------------------
SAN_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
SAN_ENV	  := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
CORE_PATHS := $(addprefix user/,$(CORE_SRCS))

# libFuzzer on the capture parser and decoder (seeded with the fixtures), and
# on the writers with hostile names and values.
FUZZ_SECONDS ?= 45
FUZZ_TARGETS := $(OUT)/fuzz_capture $(OUT)/fuzz_writers
$(OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_PATHS) user/*.h user/*/*.h | $(OUT)
	$(CLANG) $(SAN_FLAGS) -fsanitize=fuzzer -Ibpf -Iuser -DTS_VERSION='"fuzz"' \
		$< $(CORE_PATHS) -o $@ -lz -liberty -lsqlite3 -lm -ljson-c

fuzz: $(FUZZ_TARGETS)
	rm -rf $(OUT)/fuzz-corpus && mkdir -p $(OUT)/fuzz-corpus $(OUT)/fuzz-writers-corpus
	cp tests/fixtures/*.tsbpf $(OUT)/fuzz-corpus/
	$(SAN_ENV) $(OUT)/fuzz_capture tests/fuzz/regressions/* >/dev/null 2>&1 || \
		{ echo "fuzz: a regression input fails again"; exit 1; }
	for t in capture writers; do \
		corpus=$(OUT)/fuzz-corpus; [ $$t = writers ] && corpus=$(OUT)/fuzz-writers-corpus; \
		$(SAN_ENV) $(OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=262144 \
			-timeout=10 -artifact_prefix=$(OUT)/fuzz-$$t- -print_final_stats=1 \
			$$corpus >$(OUT)/fuzz-$$t.log 2>&1; st=$$?; \
		echo "fuzz_$$t:"; tail -6 $(OUT)/fuzz-$$t.log; \
		[ $$st -eq 0 ] || { echo "fuzz: FAILED: a crashing input is in $(OUT)/fuzz-$$t-*;" \
			"copy it to tests/fuzz/regressions/"; exit $$st; }; \
	done

# The unit tests again, built with the sanitizers (the BPF tests run the tool).
$(OUT)/san/test_%: tests/test_%.c $(PIPE_SRCS) $(CORE_PATHS) user/*.h user/*/*.h tests/*.h | $(OUT)
	mkdir -p $(OUT)/san
	$(CLANG) $(SAN_FLAGS) -Ibpf -Iuser -Itests -DTS_VERSION='"san"' $< $(PIPE_SRCS) \
		$(CORE_PATHS) -o $@ -lcmocka -ljson-c -lz -liberty -lsqlite3 -lm

SAN_TESTS := test_unit test_harden test_stats test_nvdecode test_sql
sanitize: $(BIN) $(addprefix $(OUT)/san/,$(SAN_TESTS))
	for t in $(SAN_TESTS); do \
		$(SAN_ENV) TS_BIN=$(abspath $(BIN)) $(OUT)/san/$$t || exit 1; done

# --- benchmarks (root): results go in BENCHMARKS.md --------------------------
$(OUT)/floor.bpf.o: bench/floor.bpf.c | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/floor.skel.h: $(OUT)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(OUT)/floor: bench/floor.c $(OUT)/floor.skel.h
	$(CC) $(ALL_CFLAGS) bench/floor.c -o $@ -lbpf -lelf -lz

bench: $(BIN) $(FAKECUDA) $(FAKEAPP) $(OUT)/floor $(OUT)/gen_capture
	scripts/bench.sh

unit: $(UNIT_TESTS)
	for t in $(UNIT_TESTS); do TS_BIN=$(abspath $(BIN)) $$t || exit 1; done

bpf-test: $(BIN) $(FAKECUDA) $(FAKECUPTI) $(FAKEAPP) $(BPF_TESTS)
	for t in $(BPF_TESTS); do TS_BIN=$(abspath $(BIN)) TS_FAKECUDA=$(abspath $(FAKECUDA)) \
		TS_FAKECUPTI=$(abspath $(FAKECUPTI)) TS_FAKEAPP=$(abspath $(FAKEAPP)) $$t || exit 1; \
	done

test: all unit bpf-test sanitize fuzz lint

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
	clang-format --dry-run --Werror $(C_FILES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem --suppress=unknownMacro -Ibpf -Iuser user tests

format:
	clang-format -i $(C_FILES)

clean:
	rm -rf $(OUT) tracesmith-bpf
