# hvtpm - offline forensic and recovery utility for Hyper-V vTPM VMs.
#
#   make            build ./hvtpm
#   make demo       install missing build dependencies (as root), build, run on samples/
#   make check      build and run every test suite
#   make sanitize   the whole test suite under ASan+UBSan
#   make memcheck   the CLI end-to-end tests under valgrind memcheck
#   make bench      speed and memory benchmarks against the targets (bench/README.md)
#   make bench-quick the same on small estates (minutes, not an hour)
#   make lint       cppcheck and clang-tidy
#   make fuzz-smoke every libFuzzer harness for a fixed number of runs
#   make screenshot the samples' audit as HTML and its screenshot (README), in build/
#   make hostile    the hostile evidence of the tests (tests/hostile/), in build/
#   make install    PREFIX=/usr/local DESTDIR= (binary, man page, bash and zsh completion)

VERSION  := 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
DESTDIR  ?=
CC       ?= cc
BUILD    ?= build
PKG_CONFIG ?= pkg-config

PKGS      := libcrypto libxml-2.0 zlib json-c libarchive
TEST_PKGS := check

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter
# Warnings are errors in CI (CI=true) and whenever WERROR=1.
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN     += -Werror
endif
OPT      ?= -O2 -g
CPPFLAGS += -Isrc -D_GNU_SOURCE -DHVTPM_VERSION=\"$(VERSION)\"
CFLAGS   += -std=c11 $(OPT) $(WARN) -fno-strict-aliasing $(EXTRA_CFLAGS)
LDFLAGS  += $(EXTRA_LDFLAGS)

PKG_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

LIB_SRC   := $(sort $(wildcard src/util/*.c src/formats/*.c src/model/*.c \
                                src/analysis/*.c src/report/*.c))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libhvtpm.a
BIN       := $(BUILD)/hvtpm

TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c tests/hostile/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/%.o)
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all deps demo samples check test-build sanitize memcheck bench bench-quick lint fuzz \
        fuzz-smoke screenshot hostile install uninstall clean

all: hvtpm

hvtpm: $(BIN)
	@cp $(BIN) hvtpm

deps:
	@sh scripts/deps.sh

# V=1 shows the full compiler command lines.
Q := $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS) -lpthread

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(TEST_SUPPORT_OBJ) $(LIB) $(PKG_LIBS) $(TEST_LIBS) -lpthread

$(TEST_SUPPORT_OBJ): CPPFLAGS += -Itests

test-build: $(BIN) $(TEST_BIN) $(BUILD)/tools/gen_estate

# samples/ is committed; `make samples` regenerates it (new keys every time).
$(BUILD)/tools/mksamples: tests/tools/mksamples.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(TEST_SUPPORT_OBJ) $(LIB) $(PKG_LIBS) $(TEST_LIBS) -lpthread

$(BUILD)/tools/mkhostile: tests/tools/mkhostile.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(TEST_SUPPORT_OBJ) $(LIB) $(PKG_LIBS) $(TEST_LIBS) -lpthread

$(BUILD)/tools/bench_readers: bench/bench_readers.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(TEST_SUPPORT_OBJ) $(LIB) $(PKG_LIBS) $(TEST_LIBS) -lpthread

# The benchmark's estate generator, also used by tests/test_shards.c.
$(BUILD)/tools/gen_estate: bench/gen_estate.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(PKG_CFLAGS) $(TEST_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(TEST_SUPPORT_OBJ) $(LIB) $(PKG_LIBS) $(TEST_LIBS) -lpthread

# The hostile evidence tests/test_hostile.c makes for itself, to look at.
hostile: $(BUILD)/tools/mkhostile
	rm -rf $(BUILD)/hostile $(BUILD)/hostile-twin
	$(BUILD)/tools/mkhostile $(BUILD)/hostile
	$(BUILD)/tools/mkhostile --twin $(BUILD)/hostile-twin

samples: $(BUILD)/tools/mksamples
	rm -rf samples.new && $(BUILD)/tools/mksamples samples.new
	rm -rf samples && mv samples.new samples

demo:
	@sh scripts/deps.sh
	@$(MAKE) --no-print-directory hvtpm
	@echo "== ./hvtpm diagnose --password-file samples/passwords.txt samples/"
	@./hvtpm diagnose --password-file samples/passwords.txt samples/; rc=$$?; \
	    echo "(hvtpm diagnose exited $$rc: see EXIT STATUS in man/hvtpm.1)"

check:
	@sh scripts/deps.sh
	@sh scripts/test-deps.sh
	@$(MAKE) --no-print-directory test-build
	@HVTPM_BIN=$(abspath $(BIN)) HVTPM_SRCDIR=$(CURDIR) \
	    HVTPM_GEN_ESTATE=$(abspath $(BUILD)/tools/gen_estate) sh tests/run.sh $(TEST_BIN)

sanitize:
	@$(MAKE) --no-print-directory BUILD=build/san OPT='-O1 -g' \
	    EXTRA_CFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    EXTRA_LDFLAGS='-fsanitize=address,undefined' check

memcheck:
	@sh scripts/deps.sh
	@sh scripts/test-deps.sh
	@$(MAKE) --no-print-directory BUILD=build/vg OPT='-O1 -g' test-build
	@HVTPM_BIN=$(abspath build/vg/hvtpm) HVTPM_SRCDIR=$(CURDIR) \
	    HVTPM_VALGRIND=1 sh tests/run.sh build/vg/tests/test_cli

# A benchmark reports, it does not fail on a missed target (bench/README.md).
bench: hvtpm $(BUILD)/tools/bench_readers
	@BUILD=$(BUILD) sh bench/readers.sh
	@BUILD=$(BUILD) sh bench/scan.sh
	@BUILD=$(BUILD) sh bench/run.sh

bench-quick: hvtpm
	@BUILD=$(BUILD) HVTPM_BENCH_QUICK=1 sh bench/run.sh

lint:
	@sh scripts/lint.sh

# The README's screenshot: the samples' audit as one HTML page (fixed dates, so the
# same bytes every time), and the top of it in headless Chromium (tests/browser).
SHOT_DATE := 1790000000
screenshot: $(BIN)
	@sh scripts/test-deps.sh
	@SOURCE_DATE_EPOCH=$(SHOT_DATE) $(BIN) audit -q --at 2026-10-01 \
	    --password-file samples/passwords.txt --format html samples/ \
	    >$(BUILD)/report-audit.html 2>/dev/null; rc=$$?; [ $$rc -le 2 ] || exit $$rc
	@node tests/browser/check.cjs --screenshot $(BUILD)/report-audit.png \
	    $(BUILD)/report-audit.html >/dev/null
	@echo "$(BUILD)/report-audit.html $(BUILD)/report-audit.png"

fuzz-smoke fuzz:
	@$(MAKE) --no-print-directory -f fuzz/Makefile $@ T=$(T)

install: hvtpm
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	    $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 hvtpm $(DESTDIR)$(BINDIR)/hvtpm
	install -m 0644 man/hvtpm.1 $(DESTDIR)$(MANDIR)/man1/hvtpm.1
	install -m 0644 completions/hvtpm.bash $(DESTDIR)$(BASHCOMPDIR)/hvtpm
	install -m 0644 completions/_hvtpm $(DESTDIR)$(ZSHCOMPDIR)/_hvtpm

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hvtpm $(DESTDIR)$(MANDIR)/man1/hvtpm.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/hvtpm $(DESTDIR)$(ZSHCOMPDIR)/_hvtpm

clean:
	rm -rf build hvtpm fuzz/out samples.new

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d)
