# Makefile -- one build for wolfpackd, wolfpack, wolfpack-web and libwolfpack.a.
#
#   make                      build into build/ (gcc)
#   make CC=clang BUILD=build-clang
#   make SAN=1 BUILD=build-san   AddressSanitizer + UndefinedBehaviorSanitizer
#   make check                unit tests + CLI tests against $(BUILD)
#   make fuzz                 libFuzzer targets (clang) into build-fuzz/
#   make format               clang-format every source file
#   make progs                only what is installed: wolfpackd, wolfpack, wolfpack-web, the kits
#   make install              wolfpack, wolfpackd, wolfpack-web into $(PREFIX)/sbin (and a
#                             wolfpack link in $(PREFIX)/bin), the man pages
#                             into $(PREFIX)/share/man, the systemd units into
#                             $(PREFIX)/lib/systemd/system, bash completion,
#                             /etc/wolfpack/wolfpackd.conf and web.conf,
#                             /etc/pam.d/wolfpack-web, the page (web/) into
#                             $(PREFIX)/share/wolfpack/web; DESTDIR= for
#                             packaging (default PREFIX /usr/local)
#   make install-kits         the built kits into $(PREFIX)/lib/wolfpack/kits
#   make deb                  the Debian packages into build/deb (tools/build-deb,
#                             docs/PACKAGING.md)
#
# Sources are picked up by folder: a new .c file in src/<part>/ needs no
# change here.  Unit tests are tests/unit/test_*.c, one binary each.

CC ?= cc
BUILD ?= build
# The version of wolfpack, in one place: the file VERSION (`wolfpack
# --version`, `wolfpackd --version`; debian/changelog must carry it too,
# tests/run-package checks that).
VERSION := $(shell cat VERSION)
SAN ?=
PKGS := jansson sqlite3 libqb libcpg libvotequorum libquorum libcmap libcrypto \
        libnl-route-3.0 libnl-3.0 libarchive libzstd libxml-2.0 yaml-0.1 ldns libsystemd libcrypt

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
# only wolfpack-web (src/web) links these: the web console's HTTPS server
WEB_PKGS := libmicrohttpd gnutls pam
WEB_CFLAGS := $(shell pkg-config --cflags $(WEB_PKGS))
WEB_LIBS := $(shell pkg-config --libs $(WEB_PKGS)) -lpthread

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE -DWP_VERSION='"$(VERSION)"' $(WARN) $(CPPFLAGS) $(CFLAGS) \
              $(PKG_CFLAGS) -MMD -MP
ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
endif
LDLIBS := $(PKG_LIBS) -lm

LIB_SRCS := $(wildcard src/lib/*.c src/db/*.c src/sched/*.c src/repl/*.c src/agents/*.c \
                       src/client/*.c src/app/*.c)
DAEMON_SRCS := $(wildcard src/daemon/*.c)
CLI_SRCS := $(wildcard src/cli/*.c)
TASK_SRCS := $(wildcard src/task/*.c)
WEB_SRCS := $(wildcard src/web/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)
# Application kits (docs/KITS.md): kits/K/src/P.c becomes the program
# $(BUILD)/kits/K/bin/P, and every other file of kits/K is copied beside it,
# so $(BUILD)/kits/K is a complete kit that `wolfpack app install` takes.
KIT_SRCS := $(wildcard kits/*/src/*.c)
KIT_DATA := $(filter-out kits/%.c kits/%.h,$(shell find kits -type f 2>/dev/null))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB := $(BUILD)/libwolfpack.a
DAEMON := $(BUILD)/wolfpackd
CLI := $(BUILD)/wolfpack
TASK := $(BUILD)/wolfpack-task
WEB := $(BUILD)/wolfpack-web
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOL_SRCS))
KIT_BINS := $(foreach s,$(KIT_SRCS),$(BUILD)/$(subst /src/,/bin/,$(s:.c=)))
KIT_COPIES := $(addprefix $(BUILD)/,$(KIT_DATA))

.PHONY: all progs check unit clitest fuzz format clean install install-kits uninstall deb
all: progs $(UNIT_BINS) $(TOOL_BINS)
progs: $(DAEMON) $(CLI) $(TASK) $(WEB) $(KIT_BINS) $(KIT_COPIES)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# the programs that print the version are rebuilt when it changes
$(BUILD)/src/cli/main.o $(BUILD)/src/daemon/main.o: VERSION

$(DAEMON): $(call obj,$(DAEMON_SRCS)) $(LIB)
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(CLI): $(call obj,$(CLI_SRCS)) $(LIB)
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the node-task entry point wolfpackd runs (src/task/main.c, docs/APP.md)
$(TASK): $(call obj,$(TASK_SRCS)) $(LIB)
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the web console's server (src/web, docs/WEB.md)
$(call obj,$(WEB_SRCS)): ALL_CFLAGS += $(WEB_CFLAGS)
$(WEB): $(call obj,$(WEB_SRCS)) $(LIB)
	$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(WEB_LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIB)
	$(CC) $(LDSAN) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS) -lcmocka

# unit tests of a piece of the CLI link that piece's object too
$(BUILD)/tests/unit/test_since: $(BUILD)/src/cli/since.o
# the daemon's lifetime counters (a leaf): test_daemon_ipc includes handlers.c
$(BUILD)/tests/unit/test_dmetrics $(BUILD)/tests/unit/test_daemon_ipc: $(BUILD)/src/daemon/dmetrics.o

# test_web tests src/web's parts: its objects but its main
$(BUILD)/tests/unit/test_web.o: ALL_CFLAGS += $(WEB_CFLAGS)
$(BUILD)/tests/unit/test_web: $(BUILD)/tests/unit/test_web.o \
                              $(filter-out $(BUILD)/src/web/main.o,$(call obj,$(WEB_SRCS))) $(LIB)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS) $(WEB_LIBS) -lcmocka

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(LIB)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

# wpexec speaks the executor's protocol to wolfpackd's own executor code
# (the daemon's objects but its main)
$(BUILD)/tests/tools/wpexec: $(BUILD)/tests/tools/wpexec.o \
                             $(filter-out $(BUILD)/src/daemon/main.o,$(call obj,$(DAEMON_SRCS))) \
                             $(LIB)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS)

.SECONDEXPANSION:
$(KIT_BINS): $(BUILD)/%: $$(subst /bin/,/src/,%).c
	@mkdir -p $(dir $@)
	@mkdir -p $(BUILD)/kitdeps
	$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -MMD -MP -MF $(BUILD)/kitdeps/$(subst /,_,$@).d \
	    $(LDSAN) $(LDFLAGS) -o $@ $<

$(KIT_COPIES): $(BUILD)/%: %
	@mkdir -p $(dir $@)
	cp -p $< $@

check: all
	tests/run-unit $(BUILD)
	tests/run-sched $(BUILD)
	tests/run-cli $(BUILD)

unit: all
	tests/run-unit $(BUILD)

clitest: all
	tests/run-cli $(BUILD)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	$(MAKE) CC=clang BUILD=build-fuzz SAN=1 CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" build-fuzz/libwolfpack.a
	@for f in $(FUZZ_SRCS); do \
	  n=$$(basename $$f .c); \
	  echo "clang $$f -> build-fuzz/$$n"; \
	  clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
	    $$f build-fuzz/libwolfpack.a $(PKG_LIBS) -lm -o build-fuzz/$$n || exit 1; \
	done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# wolfpack-task (and wolfpack) go beside wolfpackd: the daemon runs the
# wolfpack-task next to its own executable for application node tasks
# (src/daemon/apptask.c; under --user the executor runs the wolfpack).
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
KITDIR ?= $(PREFIX)/lib/wolfpack/kits
ALERTDIR ?= $(PREFIX)/share/wolfpack/alerts
WEBDIR ?= $(PREFIX)/share/wolfpack/web
PAMDIR ?= $(SYSCONFDIR)/pam.d

install: $(DAEMON) $(CLI) $(TASK) $(WEB)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(COMPLETIONDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/wolfpack $(DESTDIR)$(PAMDIR) $(DESTDIR)$(WEBDIR)
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/wolfpackd
	install -m 0755 $(WEB) $(DESTDIR)$(SBINDIR)/wolfpack-web
	sed 's|/usr/local/sbin/wolfpack-web|$(SBINDIR)/wolfpack-web|' contrib/wolfpack-web.service \
	    >$(DESTDIR)$(UNITDIR)/wolfpack-web.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/wolfpack-web.service
	install -m 0644 contrib/web.conf $(DESTDIR)$(SYSCONFDIR)/wolfpack/web.conf
	install -m 0644 contrib/pam/wolfpack-web $(DESTDIR)$(PAMDIR)/wolfpack-web
	if [ -d web ]; then cp -R --no-preserve=ownership web/. $(DESTDIR)$(WEBDIR)/ && \
	    chmod -R u+rwX,go+rX,go-w $(DESTDIR)$(WEBDIR); fi
	install -m 0755 $(CLI) $(DESTDIR)$(SBINDIR)/wolfpack
	install -m 0755 $(TASK) $(DESTDIR)$(SBINDIR)/wolfpack-task
	ln -sf $(SBINDIR)/wolfpack $(DESTDIR)$(BINDIR)/wolfpack
	install -m 0644 man/wolfpack.8 man/wolfpackd.8 man/wolfpack-task.8 man/wolfpack-web.8 \
	    $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/wolfpack-kit.5 $(DESTDIR)$(MANDIR)/man5/
	sed 's|/usr/local/sbin/wolfpackd|$(SBINDIR)/wolfpackd|' contrib/wolfpackd.service \
	    >$(DESTDIR)$(UNITDIR)/wolfpackd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/wolfpackd.service
	install -m 0644 contrib/bash-completion/wolfpack $(DESTDIR)$(COMPLETIONDIR)/wolfpack
	install -m 0644 contrib/wolfpackd.conf $(DESTDIR)$(SYSCONFDIR)/wolfpack/wolfpackd.conf
	install -d $(DESTDIR)$(ALERTDIR)
	install -m 0755 contrib/alerts/alert-mail contrib/alerts/alert-syslog $(DESTDIR)$(ALERTDIR)/

# every built kit, as `wolfpack app install` takes it (docs/KITS.md)
install-kits: $(KIT_BINS) $(KIT_COPIES)
	install -d $(DESTDIR)$(KITDIR)
	cp -R --no-preserve=ownership $(BUILD)/kits/. $(DESTDIR)$(KITDIR)/
	chmod -R u+rwX,go+rX,go-w $(DESTDIR)$(KITDIR)

deb:
	tools/build-deb
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/wolfpackd $(DESTDIR)$(SBINDIR)/wolfpack $(DESTDIR)$(BINDIR)/wolfpack \
	    $(DESTDIR)$(SBINDIR)/wolfpack-task \
	    $(DESTDIR)$(MANDIR)/man8/wolfpack.8 $(DESTDIR)$(MANDIR)/man8/wolfpackd.8 \
	    $(DESTDIR)$(MANDIR)/man8/wolfpack-task.8 $(DESTDIR)$(MANDIR)/man8/wolfpack-web.8 \
	    $(DESTDIR)$(MANDIR)/man5/wolfpack-kit.5 $(DESTDIR)$(UNITDIR)/wolfpackd.service \
	    $(DESTDIR)$(COMPLETIONDIR)/wolfpack $(DESTDIR)$(ALERTDIR)/alert-mail \
	    $(DESTDIR)$(ALERTDIR)/alert-syslog $(DESTDIR)$(SBINDIR)/wolfpack-web \
	    $(DESTDIR)$(UNITDIR)/wolfpack-web.service $(DESTDIR)$(PAMDIR)/wolfpack-web
	rm -rf $(DESTDIR)$(WEBDIR)

clean:
	rm -rf build build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
