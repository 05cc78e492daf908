# ksmscope build graph:
#   bpf/*.bpf.c -> build/*.bpf.o -> build/*.skel.h -> build/user/*.o -> build/ksmscope
# V=1 shows full commands. SAN=1 builds with AddressSanitizer + UBSan into build-san/.

ARCH      ?= x86
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
PREFIX    ?= /usr/local

ifeq ($(SAN),1)
OUT       := build-san
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
OUT       := build
SANFLAGS  :=
endif

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(SANFLAGS)
CPPFLAGS  += -I$(OUT) -Iuser -Ibpf -MMD -MP
LDFLAGS   += $(SANFLAGS)
LDLIBS    += -lbpf -lelf -lz -lm -lmicrohttpd -lpthread

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux/$(ARCH) -Ibpf -MMD -MP

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUT)/user/ksmscope.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
TEST_TOOLS := $(OUT)/tests/workload

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS)
.PHONY: all clean test test-unit test-integration bench install run fuzz

all: $(OUT)/ksmscope

$(OUT) $(OUT)/user $(OUT)/tests $(OUT)/bench:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# every user object may include a skeleton: generate them first
$(OUT)/user/%.o: user/%.c | $(SKELS) $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/ksmscope: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/test_%: tests/unit/test_%.c tests/unit/harness.h $(LIB_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

# the workload stands for an ordinary process: never sanitized (ASan reserves terabytes of shadow)
$(OUT)/tests/workload: tests/workload.c Makefile | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(filter-out $(SANFLAGS),$(CFLAGS)) $< -o $@ -lpthread

# The test suite builds and runs the sanitized tree; root runs the integration tests too.
test:
	$(Q)$(MAKE) --no-print-directory SAN=1 build-san/ksmscope $(patsubst $(OUT)/%,build-san/%,$(UNIT_BINS) $(TEST_TOOLS))
	$(Q)tests/run.sh build-san

test-unit:
	$(Q)$(MAKE) --no-print-directory SAN=1 $(patsubst $(OUT)/%,build-san/%,$(UNIT_BINS))
	$(Q)TESTS_ONLY=unit tests/run.sh build-san

# bench/: fault_bench plus its own BPF objects (bench/*.bpf.c -> $(OUT)/bench/*.skel.h)
BENCH_BPF_SRCS := $(wildcard bench/*.bpf.c)
BENCH_SKELS    := $(patsubst bench/%.bpf.c,$(OUT)/bench/%.skel.h,$(BENCH_BPF_SRCS))
BENCH_BINS     := $(OUT)/bench/fault_bench
.SECONDARY: $(BENCH_SKELS) $(BENCH_SKELS:.skel.h=.bpf.o)

$(OUT)/bench/%.bpf.o: bench/%.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(OUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

$(OUT)/bench/%.skel.h: $(OUT)/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# fault_bench is self-contained (it runs the ksmscope binary): no user objects linked
$(OUT)/bench/%: bench/%.c | $(BENCH_SKELS) $(OUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -I$(OUT)/bench $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

# libFuzzer targets (clang): tests/fuzz/fuzz_*.c against their corpus for FUZZ_SECS seconds each
FUZZ_SECS ?= 60
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

# what each target links besides user/NAME.c
FUZZ_DEPS_recording := user/recfile.c user/jsonparse.c user/report_tables.c user/report_html.c user/svgplot.c \
	user/compare.c user/regions.c user/procmaps.c

.SECONDEXPANSION:
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c user/%.c user/%.h $$(FUZZ_DEPS_$$*)
	@mkdir -p build-fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -g -O1 -Iuser -Ibpf -fsanitize=fuzzer,address,undefined,float-cast-overflow -fno-sanitize-recover=all \
		$< user/$*.c $(FUZZ_DEPS_$*) user/json.c user/util.c -o $@ -lz -lm

fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		n=$${f#build-fuzz/fuzz_}; mkdir -p build-fuzz/corpus-$$n; \
		$$f -max_total_time=$(FUZZ_SECS) -max_len=65536 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; \
	done

bench: $(OUT)/ksmscope $(BENCH_BINS) $(OUT)/bench/copy_baseline $(OUT)/bench/fault_loop $(OUT)/tests/workload
	$(Q)bench/run.sh $(OUT)

run: $(OUT)/ksmscope
	$(Q)$(OUT)/ksmscope top

install: $(OUT)/ksmscope
	install -D -m 0755 $(OUT)/ksmscope $(DESTDIR)$(PREFIX)/sbin/ksmscope
	install -D -m 0644 man/ksmscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/ksmscope.8

clean:
	$(call msg,CLEAN,build build-san build-fuzz)
	$(Q)rm -rf build build-san build-fuzz

-include $(wildcard $(OUT)/*.d $(OUT)/user/*.d $(OUT)/tests/*.d $(OUT)/bench/*.d)
