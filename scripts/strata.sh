#!/usr/bin/env bash
# One entry point for `npm start`, `npm test` and `npm run bench`: sets up whatever is missing
# on this machine (Node 24, dependencies, the pulumi CLI, Redis, PostgreSQL), then runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
command="${1:-start}"

NODE_VERSION=24.21.0
cache="${STRATA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}"
export STRATA_DATA_DIR="${STRATA_DATA_DIR:-$root/.strata}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export LOCAL_POSTGRES_URL="${LOCAL_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
mkdir -p "$STRATA_DATA_DIR"

say() { echo "strata: $*" >&2; }
die() { say "$*"; exit 1; }
is_root_debian() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  is_root_debian || return 1
  if [ ! -f "$cache/.apt-updated" ]; then
    apt-get update -qq >/dev/null && mkdir -p "$cache" && touch "$cache/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
# host and port of a URL, with a default port
url_host() { node -e 'const u=new URL(process.argv[1]);console.log(u.hostname.replace(/^\[|\]$/g,""))' "$1"; }
url_port() { node -e 'const u=new URL(process.argv[1]);console.log(u.port||process.argv[2])' "$1" "$2"; }
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

ensure_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 22 ]; then return; fi
  local dir="$cache/node/$NODE_VERSION"
  if [ ! -x "$dir/node_modules/.bin/node" ]; then
    command -v npm >/dev/null 2>&1 || die "Node.js >= 22 is required: install Node.js 24 LTS (https://nodejs.org)"
    say "installing Node.js $NODE_VERSION from the npm registry into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >/dev/null ||
      die "could not install Node.js $NODE_VERSION; install Node.js 24 LTS yourself"
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

ensure_dependencies() {
  local stamp=node_modules/.strata-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    say "installing npm dependencies"
    # npm install rather than npm ci: ci insists on every platform's optional binaries being
    # resolvable in the registry, and some mirrors carry only this platform's.
    npm install --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
}

ensure_pulumi() {
  local want
  want="$(node -p 'require("@pulumi/pulumi/package.json").version')"
  if command -v pulumi >/dev/null 2>&1 && [ "$(pulumi version 2>/dev/null)" = "v$want" ]; then
    return
  fi
  local bin="$cache/pulumi/v$want/pulumi"
  if [ ! -x "$bin" ]; then
    bash scripts/build-pulumi.sh "$want" "$bin" ||
      die "could not build pulumi v$want; install pulumi v$want (https://www.pulumi.com/docs/install/) and put it on PATH"
  fi
  export PATH="$(dirname "$bin"):$PATH"
}

ensure_redis() {
  local host port
  host="$(url_host "$REDIS_URL")"; port="$(url_port "$REDIS_URL" 6379)"
  if answers "$host" "$port"; then return; fi
  case "$host" in 127.0.0.1 | localhost | ::1) ;; *) die "Redis at $REDIS_URL does not answer" ;; esac
  if ! command -v redis-server >/dev/null 2>&1; then
    say "installing redis-server"
    apt_install redis-server || die "Redis is not running at $REDIS_URL and redis-server is not installed: install Redis >= 6.2 (Debian: apt-get install redis-server)"
  fi
  mkdir -p "$STRATA_DATA_DIR/redis"
  say "starting redis-server on $host:$port (AOF in $STRATA_DATA_DIR/redis)"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$STRATA_DATA_DIR/redis" \
    --appendonly yes --daemonize yes --logfile "$STRATA_DATA_DIR/redis/redis.log" \
    --pidfile "$STRATA_DATA_DIR/redis/redis.pid" >/dev/null
  for _ in $(seq 50); do answers "$host" "$port" && return; sleep 0.1; done
  die "redis-server did not start; see $STRATA_DATA_DIR/redis/redis.log"
}

ensure_postgres() {
  local host port
  host="$(url_host "$LOCAL_POSTGRES_URL")"; port="$(url_port "$LOCAL_POSTGRES_URL" 5432)"
  if answers "$host" "$port"; then return; fi
  case "$host" in 127.0.0.1 | localhost | ::1) ;; *) die "PostgreSQL at $LOCAL_POSTGRES_URL does not answer" ;; esac
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bindir" ]; then
    say "installing postgresql"
    apt_install postgresql || die "PostgreSQL is not running at $LOCAL_POSTGRES_URL and is not installed: install PostgreSQL >= 13 (Debian: apt-get install postgresql)"
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  local pgdata="$STRATA_DATA_DIR/postgres" as=()
  # initdb refuses to run as root, so the cluster belongs to the postgres system user.
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  mkdir -p "$pgdata"
  [ "$(id -u)" = 0 ] && chown postgres "$pgdata" && chmod 700 "$pgdata"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    say "creating a PostgreSQL cluster in $pgdata"
    "${as[@]}" "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  say "starting PostgreSQL on $host:$port"
  "${as[@]}" "$bindir/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdata" start >/dev/null ||
    die "PostgreSQL did not start; see $pgdata/server.log"
}

# Python tools the tests use live in one venv under the cache; only what is missing is installed.
venv="$cache/venv"
ensure_python_tool() {
  local package="$1" command="$2"
  if [ -x "$venv/bin/$command" ]; then return; fi
  if [ ! -x "$venv/bin/pip" ]; then
    command -v python3 >/dev/null 2>&1 || apt_install python3 ||
      die "python3 is required for $package: install Python >= 3.9"
    python3 -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv" && apt_install python3-venv && python3 -m venv "$venv"; } ||
      die "could not create a Python venv in $venv: install python3-venv"
  fi
  say "installing $package into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$package" ||
    die "could not install $package into $venv"
}

build() { npm run --silent build; }

setup() {
  ensure_node
  ensure_dependencies
  ensure_pulumi
  ensure_redis
  ensure_postgres
  # An S3-compatible server on loopback for the multi-machine tests' s3:// state backend.
  ensure_python_tool 'moto[server]' moto_server
  build
}

case "$command" in
  setup) setup ;;
  start)
    setup
    node dist/workers/index.js &
    worker=$!
    trap 'kill -TERM "$worker" 2>/dev/null || true' EXIT
    trap 'kill -TERM "$worker" 2>/dev/null; exit 0' INT TERM
    node dist/server/server.js &
    server=$!
    trap 'kill -TERM "$worker" "$server" 2>/dev/null; wait; exit 0' INT TERM
    wait -n "$worker" "$server"
    ;;
  test)
    setup
    npx --no-install eslint .
    npx --no-install prettier --check . >/dev/null || { npx --no-install prettier --list-different .; die "formatting differs: run npm run format"; }
    node --test --test-concurrency=2 --test-timeout=600000 'dist/test/**/*.test.js'
    ;;
  bench)
    setup
    node dist/bench/index.js
    ;;
  *) die "unknown command $command (start, test, bench, setup)" ;;
esac
