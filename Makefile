# tlsreport — a Pelican blog whose posts carry TLS scan reports.
# Targets follow pelican-quickstart's Makefile; `make help` lists them.

PY ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
PELICAN ?= $(VENV)/bin/pelican
# --fatal errors: a plugin that fails to load (Pelican only logs it) must fail the build,
# not publish posts with their directives left as text.
PELICANOPTS ?= --fatal errors

BASEDIR = $(CURDIR)
INPUTDIR = $(BASEDIR)/content
OUTPUTDIR = $(BASEDIR)/output
CONFFILE = $(BASEDIR)/pelican.conf.py
PUBLISHCONF = $(BASEDIR)/publish.conf.py

# Where `make scan` reads target lists and keeps history (never touched by clean or upload).
TARGETS_DIR ?= $(BASEDIR)/data/targets
HISTORY_DIR ?= $(BASEDIR)/data/history

# Upload settings: set these (here or on the command line) for your host.
SSH_HOST ?= localhost
SSH_PORT ?= 22
SSH_USER ?= root
SSH_TARGET_DIR ?= /var/www/tlsreport
SSH_OPTS ?=
GITHUB_PAGES_BRANCH ?= gh-pages
GITHUB_PAGES_COMMIT_MESSAGE ?= Generate tlsreport site

# The lab (real weak TLS servers on 127.0.0.1) keeps its state here while it runs.
LAB_DIR ?= $(BASEDIR)/.lab
# Fixed lab ports: LAB_BASE_PORT=14400 puts each profile on 14400 + its place in the list.
# Unset, the lab keeps the ports it had last time ($(LAB_DIR)/ports.json).
# LAB=modern rc4 starts or stops only those servers.
LAB_BASE_PORT ?=
LAB ?=
DEMO_DIR ?= $(BASEDIR)/.demo

PYTESTOPTS ?= -n 2

DEBUG ?= 0
ifeq ($(DEBUG), 1)
	PELICANOPTS += -D
endif
RELATIVE ?= 0
ifeq ($(RELATIVE), 1)
	PELICANOPTS += --relative-urls
endif
SERVER ?= 127.0.0.1
PORT ?= 8000

# The virtualenv is rebuilt only when a requirements file, pyproject.toml or this Makefile changes.
STAMP := $(VENV)/.installed

.PHONY: help venv html clean regenerate serve devserver publish scan lab lab-stop demo \
	test test-deps lint rsync_upload ssh_upload github

help:
	@echo 'Makefile for tlsreport'
	@echo ''
	@echo 'Usage:'
	@echo '   make html            (re)generate the web site into output/'
	@echo '   make test            run the whole test suite (starts the lab itself)'
	@echo '   make demo            start the lab, scan it, build the site with a demo post'
	@echo '   make scan            scan every target list with scan = true (writes history)'
	@echo '   make clean           remove the generated files (never the history)'
	@echo '   make regenerate      regenerate files upon modification'
	@echo '   make publish         generate using production settings'
	@echo '   make serve [PORT=8000]   serve site at http://127.0.0.1:8000'
	@echo '   make devserver [PORT=8000]  serve and regenerate together'
	@echo '   make lab / lab-stop  start / stop the lab of weak TLS servers in the background'
	@echo '                        (LAB="modern rc4": only those; LAB_BASE_PORT=14400: fixed ports)'
	@echo '   make lint            ruff'
	@echo '   make ssh_upload      upload the web site via SSH (scp)'
	@echo '   make rsync_upload    upload the web site via rsync+ssh'
	@echo '   make github          upload the web site via gh-pages'
	@echo ''
	@echo 'Set the DEBUG variable to 1 to enable debugging, e.g. make DEBUG=1 html'
	@echo 'Set the RELATIVE variable to 1 to enable relative urls'

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml Makefile
	@test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@# The plugin itself, as a stranger installs it (pelican-tlsreport, pyproject.toml), but
	@# editable: `compat` mode puts plugins/ on the path, so Pelican's namespace discovery finds
	@# pelican.plugins.tlsreport (the default editable mode hides it) and edits need no reinstall.
	@rm -f "$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/tlsreport-plugins.pth"
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-deps -e . --config-settings editable_mode=compat
	@touch $@

venv: $(STAMP)

html: $(STAMP)
	"$(PELICAN)" "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(CONFFILE)" $(PELICANOPTS)

clean:
	[ ! -d "$(OUTPUTDIR)" ] || rm -rf "$(OUTPUTDIR)"
	rm -rf "$(BASEDIR)/cache" "$(DEMO_DIR)"

regenerate: $(STAMP)
	"$(PELICAN)" -r "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(CONFFILE)" $(PELICANOPTS)

serve: $(STAMP)
	"$(PELICAN)" -l "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(CONFFILE)" $(PELICANOPTS) -b $(SERVER) -p $(PORT)

# Pelican's -lr loop, also watching the history and target lists (a scan rebuilds), and
# stopping its web server however it is stopped (tlsreport/devserver.py).
devserver: $(STAMP)
	$(VPY) -m tlsreport.devserver "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(CONFFILE)" $(PELICANOPTS) -b $(SERVER) -p $(PORT)

publish: $(STAMP)
	"$(PELICAN)" "$(INPUTDIR)" -o "$(OUTPUTDIR)" -s "$(PUBLISHCONF)" $(PELICANOPTS)

scan: $(STAMP)
	$(VPY) -m tlsreport scan-all "$(TARGETS_DIR)" --out "$(HISTORY_DIR)"

lab: $(STAMP)
	$(VPY) -m tlsreport.lab start $(LAB) --dir "$(LAB_DIR)" $(if $(LAB_BASE_PORT),--base-port $(LAB_BASE_PORT))

lab-stop: $(STAMP)
	$(VPY) -m tlsreport.lab stop $(LAB) --dir "$(LAB_DIR)"

demo: $(STAMP)
	$(VPY) -m tlsreport.lab.demo --dir "$(DEMO_DIR)" --content "$(INPUTDIR)" --output "$(OUTPUTDIR)" --settings "$(CONFFILE)"

# The Debian packages the tests need (browser, sshd, rsync, …) are installed first when missing
# (as root; otherwise the exact apt-get command is printed): tests/debian-packages.txt.
test: $(STAMP) test-deps lint
	$(VPY) -m pytest $(PYTESTOPTS)

test-deps:
	@bash tests/install-debian-packages

# ruff (lint and format), the import contracts of ARCHITECTURE.md (pyproject.toml [tool.importlinter]), then
# the type check of the plugin package (pyproject.toml [tool.mypy]).
lint: $(STAMP)
	$(VENV)/bin/ruff check plugins tests bench pelican.conf.py publish.conf.py
	$(VENV)/bin/ruff format --check plugins tests bench pelican.conf.py publish.conf.py
	$(VENV)/bin/lint-imports --config pyproject.toml --no-cache
	$(VENV)/bin/mypy

ssh_upload: publish
	scp -P $(SSH_PORT) $(SSH_OPTS) -r "$(OUTPUTDIR)"/* "$(SSH_USER)@$(SSH_HOST):$(SSH_TARGET_DIR)"

rsync_upload: publish
	rsync -e "ssh -p $(SSH_PORT) $(SSH_OPTS)" -P -rvzc --include tags --cvs-exclude --delete "$(OUTPUTDIR)"/ "$(SSH_USER)@$(SSH_HOST):$(SSH_TARGET_DIR)"

github: publish
	$(VENV)/bin/ghp-import -m "$(GITHUB_PAGES_COMMIT_MESSAGE)" -b $(GITHUB_PAGES_BRANCH) "$(OUTPUTDIR)" --no-jekyll
	git push origin $(GITHUB_PAGES_BRANCH)
