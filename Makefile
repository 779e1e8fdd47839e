# relayguard - one plain GNU Makefile.
#
#   make            build build/relayguardd and build/relayguard (-O2)
#   make run        install Debian dependencies, build, run the daemon on etc/relayguard.conf
#   make test       install dependencies, build with ASan+UBSan, run every test
#   make fuzz       build the libFuzzer targets with clang and fuzz each for FUZZ_SECONDS
#   make bench      run the benchmarks under bench/ (see BENCHMARKS.md)
#   make install    install under $(PREFIX) (default /usr/local)

PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= cc
VERSION    := 0.1.0
FUZZ_SECONDS ?= 60

WARN       := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS   += -Isrc -I/usr/include/hiredis -D_GNU_SOURCE -DRG_VERSION='"$(VERSION)"'
CSTD       := -std=c11
OPTFLAGS   ?= -O2 -g
ASANFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDLIBS     := -levent -levent_pthreads -lhiredis -lz -lsqlite3 -lpthread -lm

LIB_SRC    := $(sort $(wildcard src/lib/*.c src/proto/*.c src/conf/*.c src/engine/*.c \
                src/store/*.c src/dnsbl/*.c src/svc/*.c src/http/*.c))
CLI_SRC    := $(sort $(wildcard src/cli/*.c))
DAEMON_SRC := $(sort $(wildcard src/daemon/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC   := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC  := $(sort $(wildcard bench/*.c))

OBJ        := build/obj
AOBJ       := build/asan/obj

LIB_OBJ    := $(LIB_SRC:%.c=$(OBJ)/%.o)
ALIB_OBJ   := $(LIB_SRC:%.c=$(AOBJ)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(OBJ)/%.o)
ACLI_OBJ   := $(CLI_SRC:%.c=$(AOBJ)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(OBJ)/%.o)
ADAEMON_OBJ:= $(DAEMON_SRC:%.c=$(AOBJ)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
FUZZ_REPLAY:= $(FUZZ_SRC:fuzz/%.c=build/asan/fuzz/%)
FUZZ_BIN   := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=build/bench/%)

.PHONY: all run test test-build fuzz bench install deps clean asan check-layers

all: build/relayguardd build/relayguard

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPTFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@

$(AOBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(ASANFLAGS) $(CPPFLAGS) -MMD -MP -c $< -o $@

build/librelayguard.a: $(LIB_OBJ)
	@mkdir -p build
	rm -f $@ && ar rcs $@ $^

build/asan/librelayguard.a: $(ALIB_OBJ)
	@mkdir -p build/asan
	rm -f $@ && ar rcs $@ $^

build/relayguardd: $(DAEMON_OBJ) build/librelayguard.a
	$(CC) $(OPTFLAGS) -o $@ $^ $(LDLIBS)

build/relayguard: $(CLI_OBJ) build/librelayguard.a
	$(CC) $(OPTFLAGS) -o $@ $^ $(LDLIBS)

build/asan/relayguardd: $(ADAEMON_OBJ) build/asan/librelayguard.a
	$(CC) $(ASANFLAGS) -o $@ $^ $(LDLIBS)

build/asan/relayguard: $(ACLI_OBJ) build/asan/librelayguard.a
	$(CC) $(ASANFLAGS) -o $@ $^ $(LDLIBS)

build/asan/tests/%: tests/unit/%.c build/asan/librelayguard.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -Wno-missing-prototypes $(ASANFLAGS) $(CPPFLAGS) -Itests/unit -o $@ $< build/asan/librelayguard.a -lcmocka $(LDLIBS)

# The fuzz targets, linked with a plain main that replays their corpus, so
# `make test` runs every seed and past crasher without needing clang.
build/asan/fuzz/%: fuzz/%.c fuzz/replay_main.c build/asan/librelayguard.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -Wno-missing-prototypes $(ASANFLAGS) $(CPPFLAGS) -o $@ $< fuzz/replay_main.c build/asan/librelayguard.a $(LDLIBS)

# Real libFuzzer builds (clang).
build/fuzz/%: fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -Wno-unused-command-line-argument -o $@ $< $(LIB_SRC) $(LDLIBS)

build/bench/%: bench/%.c build/librelayguard.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -Wno-missing-prototypes -O2 -g $(CPPFLAGS) -o $@ $< build/librelayguard.a $(LDLIBS)

asan: build/asan/relayguardd build/asan/relayguard

test-build: all asan $(UNIT_BIN) $(FUZZ_REPLAY) $(BENCH_BIN)

deps:
	@scripts/deps.sh

# The API token of the example config: made once, never committed.
etc/api.token:
	@umask 077 && head -c 24 /dev/urandom | base64 >$@ && echo "wrote a new API token to $@"

run: deps all etc/api.token
	./build/relayguardd -c etc/relayguard.conf -f

test: deps etc/api.token
	$(MAKE) -j2 test-build
	@tests/run.sh

fuzz: deps $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  t=$$(basename $$f); mkdir -p fuzz/corpus/$$t build/fuzz/new/$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/corpus/$$t/crash- build/fuzz/new/$$t fuzz/corpus/$$t || exit 1; \
	done

bench: deps all $(BENCH_BIN)
	@bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/etc/relayguard
	install -m 755 build/relayguardd $(DESTDIR)$(PREFIX)/sbin/relayguardd
	install -m 755 build/relayguard $(DESTDIR)$(PREFIX)/bin/relayguard
	install -m 644 man/relayguard.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/relayguard.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/relayguardd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/relayguard/www
	install -m 644 man/relayguard-api.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	cp -R www/. $(DESTDIR)$(PREFIX)/share/relayguard/www/
	install -d $(DESTDIR)/lib/systemd/system
	install -m 644 etc/relayguardd.service $(DESTDIR)/lib/systemd/system/relayguardd.service
	test -f $(DESTDIR)/etc/relayguard/relayguard.conf || \
	  install -m 644 etc/relayguard.conf $(DESTDIR)/etc/relayguard/relayguard.conf

check-layers:
	@scripts/check-layers.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
