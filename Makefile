# SPDX-License-Identifier: GPL-2.0-only
# ksmscope build graph:
#   bpf/*.bpf.c -> $(OUT)/*.bpf.o -> $(OUT)/*.skel.h
#   user/<subsystem>/*.c (all but cli/) -> $(OUT)/libksmscope.a
#   user/cli/*.c + libksmscope.a -> $(OUT)/ksmscope
# Unit tests, fuzz targets and benchmarks link the same library.
# V=1 shows full commands. SAN=1 builds with AddressSanitizer + UBSan into build-san/;
# FUZZ=1 builds the library for libFuzzer (clang) into build-fuzz/.

# ARCH=arm64 on an x86-64 machine cross-builds into build-arm64/ with Debian's multiarch
# libraries (scripts/install-deps.sh --arm64); vmlinux/<ARCH>/ holds each one's types.
HOSTARCH  := $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x86)
ARCH      ?= $(HOSTARCH)
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
AR        ?= ar
PREFIX    ?= /usr/local
ifneq ($(ARCH),$(HOSTARCH))
CROSS_COMPILE ?= $(if $(filter arm64,$(ARCH)),aarch64-linux-gnu-,$(error ARCH=$(ARCH): only x86 and arm64 are built))
CC        := $(CROSS_COMPILE)gcc
AR        := $(CROSS_COMPILE)ar
endif

ifeq ($(FUZZ),1)
OUT       := build-fuzz
CC        := $(CLANG)
SANFLAGS  := -fsanitize=fuzzer-no-link,address,undefined,float-cast-overflow -fno-sanitize-recover=all
CFLAGS    ?= -g -O1
else ifeq ($(SAN),1)
OUT       := build-san
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
OUT       := build
SANFLAGS  :=
endif
ifneq ($(ARCH),$(HOSTARCH))
OUT       := $(OUT)-$(ARCH)
endif

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(SANFLAGS)
# headers are named from user/ ("lib/util.h") or from the top ("bpf/events.h")
CPPFLAGS  += -I$(OUT) -Iuser -I. -MMD -MP
LDFLAGS   += $(SANFLAGS)
LDLIBS    += -lbpf -lelf -lz -lm -lmicrohttpd -lgnutls -lcrypt -lpthread -lxxhash

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux/$(ARCH) -Ibpf -MMD -MP

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
LIB_SRCS  := $(filter-out user/cli/%,$(wildcard user/*/*.c))
CLI_SRCS  := $(wildcard user/cli/*.c)
LIB_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS))
CLI_OBJS  := $(patsubst user/%.c,$(OUT)/user/%.o,$(CLI_SRCS))
LIB       := $(OUT)/libksmscope.a

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
.PHONY: uninstall deb all clean test test-unit test-integration bench install run fuzz check-tree

all: $(OUT)/ksmscope

$(OUT)/%.bpf.o: bpf/%.bpf.c vmlinux/$(ARCH)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# every user object may include a skeleton: generate them first
$(OUT)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUT)/ksmscope: $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/test_%: tests/unit/test_%.c tests/unit/harness.h $(LIB)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

# the workload stands for an ordinary process: never sanitized (ASan reserves terabytes of shadow)
$(OUT)/tests/workload: tests/workload.c Makefile
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(filter-out $(SANFLAGS),$(CFLAGS)) $< -o $@ -lpthread

# The test suite builds and runs the sanitized tree; root runs the integration tests too.
test:
	$(Q)$(MAKE) --no-print-directory SAN=1 build-san/ksmscope $(patsubst $(OUT)/%,build-san/%,$(UNIT_BINS) $(TEST_TOOLS))
	$(Q)tests/run.sh build-san

test-unit:
	$(Q)$(MAKE) --no-print-directory SAN=1 $(patsubst $(OUT)/%,build-san/%,$(UNIT_BINS))
	$(Q)TESTS_ONLY=unit tests/run.sh build-san

# the tree's shape: layering, function length, SPDX lines, no pointer outside (scripts/check-tree.sh)
check-tree:
	$(Q)scripts/check-tree.sh

# bench/: fault_bench plus its own BPF objects (bench/*.bpf.c -> $(OUT)/bench/*.skel.h)
BENCH_BPF_SRCS := $(wildcard bench/*.bpf.c)
BENCH_SKELS    := $(patsubst bench/%.bpf.c,$(OUT)/bench/%.skel.h,$(BENCH_BPF_SRCS))
BENCH_BINS     := $(OUT)/bench/fault_bench $(OUT)/bench/copy_baseline $(OUT)/bench/fault_loop
.SECONDARY: $(BENCH_SKELS) $(BENCH_SKELS:.skel.h=.bpf.o)

$(OUT)/bench/%.bpf.o: bench/%.bpf.c vmlinux/$(ARCH)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

$(OUT)/bench/%: bench/%.c $(LIB) | $(BENCH_SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -I$(OUT)/bench $(CFLAGS) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

# libFuzzer targets: tests/fuzz/fuzz_*.c against their corpus for FUZZ_SECS seconds each,
# linked with the library built by FUZZ=1
FUZZ_SECS ?= 60
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

ifeq ($(FUZZ),1)
$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer $< $(LIB) $(LDLIBS) -o $@
endif

fuzz:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		n=$${f#build-fuzz/fuzz/fuzz_}; mkdir -p build-fuzz/corpus-$$n; \
		$$f -max_total_time=$(FUZZ_SECS) -max_len=65536 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; \
	done

bench: $(OUT)/ksmscope $(BENCH_BINS) $(OUT)/tests/workload
	$(Q)bench/run.sh $(OUT)

run: $(OUT)/ksmscope
	$(Q)$(OUT)/ksmscope top

# the binary, its man page, the serve unit, the Grafana dashboard and the alerting rules
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
install: $(OUT)/ksmscope
	install -D -m 0755 $(OUT)/ksmscope $(DESTDIR)$(PREFIX)/sbin/ksmscope
	install -D -m 0644 man/ksmscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/ksmscope.8
	install -d $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(PREFIX)/share/ksmscope
	sed 's|@SBINDIR@|$(PREFIX)/sbin|' packaging/ksmscope.service.in > $(DESTDIR)$(SYSTEMDDIR)/ksmscope.service
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/ksmscope.service
	install -m 0644 grafana/ksmscope.json $(DESTDIR)$(PREFIX)/share/ksmscope/grafana-dashboard.json
	install -m 0644 packaging/ksmscope-alerts.yml $(DESTDIR)$(PREFIX)/share/ksmscope/ksmscope-alerts.yml

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/ksmscope $(DESTDIR)$(PREFIX)/share/man/man8/ksmscope.8 \
		$(DESTDIR)$(SYSTEMDDIR)/ksmscope.service
	rm -rf $(DESTDIR)$(PREFIX)/share/ksmscope

# a Debian package of `make install` with PREFIX=/usr, built with dpkg-deb
deb: $(OUT)/ksmscope
	$(Q)scripts/build-deb.sh $(OUT)

clean:
	$(call msg,CLEAN,build build-san build-fuzz)
	$(Q)rm -rf build build-san build-fuzz

-include $(shell find $(OUT) -name '*.d' -type f -not -path '$(OUT)/guest/*' 2>/dev/null)
