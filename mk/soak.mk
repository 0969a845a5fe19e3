# mk/soak.mk - `make soak SEEDS=N`: the fault-injection soak (tests/soak/*.c, tools/soak.sh). Builds the soak
# driver against the ASan+UBSan library (so leaks and memory errors fail the run) and runs every scenario
# for seeds 1..N. Included by the Makefile after its variables are set.
SEEDS       ?= 3
SOAK_SRC    := $(sort $(wildcard tests/soak/*.c))

.PHONY: soak

$(BUILD)/soak/soak: $(SOAK_SRC) tests/soak/soak.h $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Itests $(LDFLAGS) -o $@ $(SOAK_SRC) $(STATIC_LIB) $(LIBS)

soak:
	$(MAKE) BUILD=build/asan SAN=asan CFLAGS="-O1 -g" build/asan/soak/soak
	sh tools/soak.sh build/asan $(SEEDS)
