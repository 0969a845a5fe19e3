# libreconcile - GNU make build. `make` builds the libraries and rcsim, `make test` runs every suite,
# `make demo` runs the main job. Sources are found by wildcard: a new lib/*/*.c, tests/test_*.c,
# bench/*.c or examples/*.c is built without editing this file.

VERSION     := 0.1.0
SOMAJOR     := 0
PREFIX      ?= /usr/local
DESTDIR     ?=
BUILD       ?= build
CC          ?= cc
CFLAGS      ?= -O2 -g
LDFLAGS     ?=
SAN         ?=
PYTHON      ?= python3

PKGS        := yaml-0.1 libcjson
PKGS_OPT    := libcurl libmicrohttpd
HAVE_OPT    := $(shell pkg-config --exists $(PKGS_OPT) 2>/dev/null && echo yes)
ifeq ($(HAVE_OPT),yes)
PKGS        += $(PKGS_OPT)
endif
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

ifeq ($(SAN),asan)
SANFLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else ifeq ($(SAN),fuzz)
SANFLAGS    := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else ifeq ($(SAN),tsan)
SANFLAGS    := -fsanitize=thread -fno-omit-frame-pointer
else
SANFLAGS    :=
endif

WARN        := -Wall -Wextra -Werror
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude -Ilib $(WARN) $(CFLAGS) $(SANFLAGS) -pthread $(PKG_CFLAGS)
LIB_CFLAGS  := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DRC_BUILDING_LIBRARY
LIBS        := $(PKG_LIBS) -lpthread -lm

# LIB_DIRS limits the library to some layers (e.g. LIB_DIRS="util api") while others are in progress.
LIB_DIRS    ?= util api cache workqueue client apiserver runtime controllers sim
LIB_SRC     := $(sort $(foreach d,$(LIB_DIRS),$(wildcard lib/$(d)/*.c)))
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
RCSIM_SRC   := $(sort $(wildcard src/rcsim/*.c))
RCSIM_OBJ   := $(RCSIM_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC    := $(sort $(wildcard tests/test_*.c))
TEST_BIN    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT:= $(sort $(wildcard tests/support/*.c))
BENCH_SRC   := $(sort $(wildcard bench/*.c))
BENCH_BIN   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))

STATIC_LIB  := $(BUILD)/libreconcile.a
SHARED_REAL := $(BUILD)/libreconcile.so.$(VERSION)
SHARED_SO   := $(BUILD)/libreconcile.so.$(SOMAJOR)
SHARED_DEV  := $(BUILD)/libreconcile.so
PC_FILE     := $(BUILD)/libreconcile.pc
RCSIM       := $(BUILD)/rcsim

.PHONY: fuzz fuzz-build
.PHONY: all lib test check check-asan check-tsan check-valgrind deps install uninstall clean bench demo \
        examples tests man-lint

all: lib $(if $(RCSIM_SRC),$(RCSIM))

lib: $(STATIC_LIB) $(SHARED_REAL) $(PC_FILE)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SHARED_REAL): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libreconcile.so.$(SOMAJOR) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
	ln -sf libreconcile.so.$(VERSION) $(SHARED_SO)
	ln -sf libreconcile.so.$(VERSION) $(SHARED_DEV)

$(PC_FILE): libreconcile.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@REQUIRES_PRIVATE@|$(filter-out libcjson,$(PKGS))|' $< > $@

$(RCSIM): $(RCSIM_OBJ) $(STATIC_LIB)
	$(CC) $(BASE_CFLAGS) $(LDFLAGS) -o $@ $(RCSIM_OBJ) $(STATIC_LIB) $(LIBS)

# Test programs link the static library (they may use internal helpers) and Check.
$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Itests -MMD -MP $(LDFLAGS) -o $@ $< $(TEST_SUPPORT) $(STATIC_LIB) $(CHECK_LIBS) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LIBS)

tests: $(TEST_BIN)

deps:
	@sh tools/deps.sh

# `make test`: every Check suite, then the end-to-end and binding tests (tools/run-tests.sh).
test: deps
	$(MAKE) all tests examples
	sh tools/run-tests.sh $(BUILD)

check: test

check-asan:
	$(MAKE) BUILD=build/asan SAN=asan CFLAGS="-O1 -g" all tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 RC_TEST_ONLY_UNIT=1 sh tools/run-tests.sh build/asan

check-tsan:
	$(MAKE) BUILD=build/tsan SAN=tsan CFLAGS="-O1 -g" all tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" RC_TEST_ONLY_UNIT=1 sh tools/run-tests.sh build/tsan

check-valgrind: all tests
	RC_VALGRIND=1 RC_TEST_ONLY_UNIT=1 sh tools/run-tests.sh $(BUILD)

bench: all $(BENCH_BIN)
	sh tools/run-bench.sh $(BUILD)

demo: deps
	$(MAKE) all
	sh tools/demo.sh $(BUILD)

# Examples build like a user's program would: through pkg-config against build/ (see tools/examples.sh).
examples: lib
	@sh tools/examples.sh $(BUILD) build

install: lib $(if $(RCSIM_SRC),$(RCSIM))
	install -d $(DESTDIR)$(PREFIX)/include/reconcile $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/reconcile.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/reconcile/*.h $(DESTDIR)$(PREFIX)/include/reconcile/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_REAL) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libreconcile.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libreconcile.so.$(SOMAJOR)
	ln -sf libreconcile.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libreconcile.so
	install -m 644 $(PC_FILE) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 man/man3/*.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	if ls man/man1/*.1 >/dev/null 2>&1; then install -m 644 man/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/; fi
	if [ -f $(RCSIM) ]; then install -m 755 $(RCSIM) $(DESTDIR)$(PREFIX)/bin/; fi
	sh tools/install-python.sh "$(DESTDIR)" "$(PREFIX)" "$(PYTHON)"

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/reconcile $(DESTDIR)$(PREFIX)/include/reconcile.h
	rm -f $(DESTDIR)$(PREFIX)/lib/libreconcile.a $(DESTDIR)$(PREFIX)/lib/libreconcile.so*
	rm -f $(DESTDIR)$(PREFIX)/lib/pkgconfig/libreconcile.pc $(DESTDIR)$(PREFIX)/bin/rcsim
	for f in man/man3/*.3; do rm -f $(DESTDIR)$(PREFIX)/share/man/man3/$$(basename $$f); done
	for f in man/man1/*.1; do rm -f $(DESTDIR)$(PREFIX)/share/man/man1/$$(basename $$f); done
	sh tools/install-python.sh "$(DESTDIR)" "$(PREFIX)" "$(PYTHON)" --uninstall

# Fuzzing (clang libFuzzer): `make fuzz FUZZ_SECONDS=N` runs every harness in fuzz/ for N seconds each.
FUZZ_SECONDS ?= 60
FUZZ_SRC    := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN    := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: fuzz/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(STATIC_LIB) $(LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang SAN=fuzz CFLAGS="-O1 -g" lib fuzz-build
	sh tools/fuzz.sh build/fuzz $(FUZZ_SECONDS)

include mk/soak.mk

man-lint:
	sh tools/man-lint.sh $(BUILD)
	sh tools/man-examples.sh $(BUILD)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(RCSIM_OBJ:.o=.d) $(TEST_BIN:=.d)
