# The web app (services/frontend): npm dependencies, lint, typecheck, Vitest, build, and
# `nginx -t` on the container's nginx config.
FRONTEND := services/frontend
FRONTEND_NPM := cd $(FRONTEND) && npm
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src -type f 2>/dev/null) \
	$(addprefix $(FRONTEND)/,index.html package.json tsconfig.json vite.config.ts)
NGINX := $(shell command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

.PHONY: frontend-deps frontend-build test-frontend nginx-test
frontend-deps: $(FRONTEND)/node_modules/.package-lock.json
# npm ci writes node_modules/.package-lock.json: older than the lockfile means stale.
$(FRONTEND)/node_modules/.package-lock.json: $(FRONTEND)/package-lock.json $(FRONTEND)/package.json
	$(FRONTEND_NPM) ci --no-audit --no-fund
	@touch $@

frontend-build: $(FRONTEND)/dist/index.html
$(FRONTEND)/dist/index.html: $(FRONTEND)/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	$(FRONTEND_NPM) run build

# The container config as the image lays it out (nginx.conf next to chat-server.conf,
# chat-limits.conf and mime.types), in a scratch prefix so the relative includes resolve.
nginx-test: | system-deps
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cp $(FRONTEND)/nginx/nginx.conf $(FRONTEND)/nginx/chat-server.conf $(FRONTEND)/nginx/chat-limits.conf \
	  /etc/nginx/mime.types "$$tmp"/ && \
	$(NGINX) -t -p "$$tmp" -c "$$tmp/nginx.conf" -e "$$tmp/error.log"

test-frontend: venv frontend-deps
	$(FRONTEND_NPM) run lint
	$(FRONTEND_NPM) run typecheck
	$(FRONTEND_NPM) test
	$(FRONTEND_NPM) run build
	@$(MAKE) --no-print-directory nginx-test

TEST_TARGETS += test-frontend
