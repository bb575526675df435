# ecgx build. `make` builds the library (static, shared, pkg-config) and the
# CLI; `make test` installs the test references and runs the suite; `make demo`
# installs what the build needs and runs the main job (scripts/setup-deps.sh
# has the two package lists).
# A sanitizer build lives in its own tree: `make BUILD=build-asan SAN=1 test`.

BUILD   ?= build
CC      ?= cc
SAN     ?=
PREFIX  ?= /usr/local
VERSION := 0.1.0

OPT     ?= -O2 -march=native
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
DEFS    := -D_GNU_SOURCE
INCS    := -Iinclude -Isrc -I/usr/include/x86_64-linux-gnu/openblas-pthread
ifeq ($(SAN),1)
  OPT   := -O1 -g -fno-omit-frame-pointer
  SANFL := -fsanitize=address,undefined -fno-sanitize-recover=all
endif
CFLAGS  ?=
CFLAGS  += -std=c11 $(OPT) -g $(WARN) $(DEFS) $(INCS) -fPIC -fopenmp $(SANFL)
LDLIBS  := -lxgboost -lopenblas -lcjson -lspng -lz -lm -lpthread -fopenmp $(SANFL)

# MPI for data-parallel training (`mpirun -np N build/ecgx train ...`,
# docs/nn.md): used when Open MPI's pkg-config file (ompi-c) or mpicc is
# found; MPI=0 builds without it, MPI=1 insists. Switching needs a clean
# build tree (or another BUILD=).
MPI     ?= auto
ifeq ($(MPI),auto)
  MPI := $(shell (pkg-config --exists ompi-c || command -v mpicc) >/dev/null 2>&1 && echo 1 || echo 0)
endif
ifeq ($(MPI),1)
  MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null || mpicc --showme:compile)
  MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null || mpicc --showme:link)
  CFLAGS     += -DECGX_HAVE_MPI $(MPI_CFLAGS)
  LDLIBS     += $(MPI_LIBS)
endif

LIB_SRC   := $(sort $(wildcard src/*/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC  := $(sort $(wildcard tools/*.c))
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))

# Quiet by default; `make V=1` shows the commands.
Q := $(if $(V),,@)

.PHONY: all lib test tests bench demo deps deps-test fuzz fuzz-build clean install
all: lib $(BUILD)/ecgx

lib: $(BUILD)/libecgx.a $(BUILD)/libecgx.so $(BUILD)/ecgx.pc

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libecgx.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/libecgx.so: $(LIB_OBJ)
	$(Q)$(CC) -shared -Wl,-soname,libecgx.so.0 -o $@ $^ $(LDLIBS)

$(BUILD)/ecgx.pc: Makefile
	@mkdir -p $(BUILD)
	@printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: ecgx\nDescription: explainable deep learning for the 12-lead ECG\nVersion: %s\nLibs: -L$${libdir} -lecgx\nLibs.private: %s\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' '$(LDLIBS)' > $@

$(BUILD)/ecgx: $(TOOL_OBJ) $(BUILD)/libecgx.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $(TOOL_OBJ) $(BUILD)/libecgx.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(BUILD)/libecgx.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libecgx.a $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libecgx.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libecgx.a $(LDLIBS)

tests: $(TEST_BIN) $(BUILD)/ecgx
# The packages first, then the build (a sub-make, so that `make -j` does not
# compile while apt is still installing the libraries).
test:
	@$(MAKE) --no-print-directory deps-test
	@$(MAKE) --no-print-directory tests
	@ECGX_BIN=$(abspath $(BUILD)/ecgx) sh tests/run.sh $(BUILD)/tests

bench: $(BENCH_BIN) $(BUILD)/ecgx

# Fuzz targets: clang's libFuzzer with ASan+UBSan. The library is compiled
# once into its own archive (instrumented for coverage); each target links it.
FUZZ_DIR     := build-fuzz
FUZZ_CFLAGS  := -std=c11 -O1 -g $(DEFS) $(INCS) -fsanitize=fuzzer-no-link,address,undefined -fopenmp
FUZZ_SECONDS ?= 30
FUZZ_OBJ     := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
fuzz-build: $(FUZZ_SRC:fuzz/%.c=$(FUZZ_DIR)/%)
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_DIR)/libecgx.a: $(FUZZ_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
$(FUZZ_DIR)/%: fuzz/%.c $(FUZZ_DIR)/libecgx.a
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libecgx.a -lxgboost -lopenblas -lcjson -lspng -lz -lm
fuzz: fuzz-build
	@sh fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# The build's packages (what `make demo` needs), and the test references on
# top (PyTorch, scikit-learn, Chromium, clang). Tests whose reference could
# not be installed skip themselves and say so.
deps:
	sh scripts/setup-deps.sh build
deps-test:
	@sh scripts/setup-deps.sh test || echo "setup-deps: the test references could not all be installed; tests that need them will skip"

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	sh scripts/demo.sh $(BUILD)

install: lib $(BUILD)/ecgx
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/ecgx $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(BUILD)/libecgx.a $(BUILD)/libecgx.so $(DESTDIR)$(PREFIX)/lib
	install -m 644 include/ecgx/*.h $(DESTDIR)$(PREFIX)/include/ecgx
	install -m 644 $(BUILD)/ecgx.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/ecgx $(DESTDIR)$(PREFIX)/bin

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
