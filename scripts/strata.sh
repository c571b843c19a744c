#!/usr/bin/env bash
# One entry point for `npm start`, `npm test`, `npm run bench` and `npm run stop`: sets up
# whatever is missing on this machine (Node 24, dependencies, the pulumi CLI, Redis, PostgreSQL),
# then runs with the data dir's own Redis and PostgreSQL (unless REDIS_URL / LOCAL_POSTGRES_URL
# name others), which stop when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
command="${1:-start}"

NODE_VERSION=24.21.0
cache="${STRATA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}"
# Node keeps the code it compiled here: every operation's engine process and the CLI's
# dynamic-provider processes load the same SDK and catalogue again (README, Performance).
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$cache/node-compile-cache}"
export STRATA_DATA_DIR="${STRATA_DATA_DIR:-$root/.strata}"
mkdir -p "$STRATA_DATA_DIR"
# Private whatever made it: it holds the state, the keys and the admin token.
chmod 700 "$STRATA_DATA_DIR"
STRATA_DATA_DIR="$(cd "$STRATA_DATA_DIR" && pwd -P)"
# Servers named by these variables are used as they are; without them the data dir gets servers
# of its own (see servers_up).
given_redis="${REDIS_URL:-}"
given_postgres="${LOCAL_POSTGRES_URL:-}"

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

# The given servers must answer; Strata does not start servers it was pointed at.
check_given() {
  local name="$1" url="$2" default_port="$3" host port
  host="$(url_host "$url")" && port="$(url_port "$url" "$default_port")" || return 0
  answers "$host" "$port" || die "$name=$url does not answer (unset it to have Strata start a server of the data dir's own)"
}

ensure_server_packages() {
  if [ -z "$given_redis" ] && ! command -v redis-server >/dev/null 2>&1; then
    say "installing redis-server"
    apt_install redis-server || die "redis-server is not installed: install Redis >= 6.2 (Debian: apt-get install redis-server) or set REDIS_URL"
  fi
  if [ -z "$given_postgres" ] && [ -z "$(pg_bindir)" ]; then
    say "installing postgresql"
    apt_install postgresql || die "PostgreSQL is not installed: install PostgreSQL >= 13 (Debian: apt-get install postgresql) or set LOCAL_POSTGRES_URL"
  fi
}

# The dashboard's browser test drives Debian's Chromium through playwright-core.
ensure_chromium() {
  if [ -n "${STRATA_CHROMIUM:-}" ] && [ -x "$STRATA_CHROMIUM" ]; then return; fi
  local bin
  bin="$(command -v chromium || command -v chromium-browser || true)"
  if [ -z "$bin" ]; then
    say "installing chromium (the dashboard's browser test)"
    apt_install chromium || die "Chromium is needed by the dashboard test: install it (Debian: apt-get install chromium) or set STRATA_CHROMIUM"
    bin="$(command -v chromium)"
  fi
  export STRATA_CHROMIUM="$bin"
}

# Python tools the tests use live in one venv under the cache; only what is missing is installed.
venv="$cache/venv"
ensure_venv() {
  if [ -x "$venv/bin/pip" ]; then return; fi
  command -v python3 >/dev/null 2>&1 || apt_install python3 ||
    die "Python 3 is needed by the tests' Python tools: install python3 and python3-venv"
  # Debian's python3 makes venvs only with python3-venv.
  python3 -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv" && apt_install python3-venv && python3 -m venv "$venv"; } ||
    die "could not create a Python venv in $venv: install python3-venv"
}
ensure_python_tool() {
  local package="$1" command="$2"
  if [ -x "$venv/bin/$command" ]; then return; fi
  ensure_venv
  say "installing $package into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$package" ||
    die "could not install $package into $venv"
}

# Schemathesis fuzzes the API from its OpenAPI document.
SCHEMATHESIS_VERSION=4.32.5
ensure_schemathesis() {
  if [ "$("$venv/bin/st" --version 2>/dev/null)" = "st, version $SCHEMATHESIS_VERSION" ]; then return; fi
  ensure_venv
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" ||
    die "could not install schemathesis into $venv"
}

# tsc, the Lua scripts beside the compiled core, and the dashboard bundle (package.json).
build() { npm run --silent build; }

setup() {
  ensure_node
  ensure_dependencies
  ensure_pulumi
  ensure_server_packages
  build
}

# --- The data dir's own Redis and PostgreSQL ---------------------------------------------------
# Started when REDIS_URL / LOCAL_POSTGRES_URL are not given, on ports chosen for this data dir
# and recorded in <data dir>/servers, and stopped when the last command of this data dir that
# uses them ends (or by `npm run stop`). A server is reused only when it is provably this data
# dir's (its pid file, or the cluster directory), never because something answers on a port.

servers="$STRATA_DATA_DIR/servers"
is_root() { [ "$(id -u)" = 0 ]; }
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
# The port recorded in <file> while nothing else listens on it, else a new one (recorded).
choose_port() {
  local file="$1" port
  port="$(cat "$file" 2>/dev/null || true)"
  if [ -z "$port" ] || answers 127.0.0.1 "$port"; then
    [ -n "$port" ] && say "port $port of $(basename "$file" .port) is taken by another program; choosing another"
    port="$(free_port)"
    echo "$port" >"$file"
  fi
  echo "$port"
}
# A minimal environment: the servers need none of Strata's variables, tokens among them.
server_env() { env -i PATH="$PATH" LANG=C.UTF-8 "$@"; }

# pid of this data dir's running redis-server, if any
own_redis_pid() {
  local pid port
  pid="$(cat "$STRATA_DATA_DIR/redis/redis.pid" 2>/dev/null)" || return 1
  port="$(cat "$servers/redis.port" 2>/dev/null)" || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "^redis-server .*:$port\b" &&
    echo "$pid"
}

redis_up() {
  local dir="$STRATA_DATA_DIR/redis" port
  mkdir -p "$dir"
  if ! own_redis_pid >/dev/null; then
    port="$(choose_port "$servers/redis.port")"
    say "starting redis-server on 127.0.0.1:$port (AOF in $dir)"
    server_env redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --appendonly yes \
      --daemonize yes --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" >/dev/null
    local i
    for i in $(seq 100); do own_redis_pid >/dev/null && answers 127.0.0.1 "$port" && break; sleep 0.1; done
    own_redis_pid >/dev/null || die "redis-server did not start; see $dir/redis.log"
  fi
  export REDIS_URL="redis://127.0.0.1:$(cat "$servers/redis.port")"
}

redis_down() {
  local pid i
  pid="$(own_redis_pid)" || return 0
  say "stopping redis-server (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
  say "redis-server (pid $pid) did not stop within 10 s"
}

# PostgreSQL refuses to run as root, and the postgres user it then runs as cannot enter a
# private tree such as /root/…: as root the cluster lives in /var/lib/strata/postgres/<key>,
# keyed by the data dir's path. Otherwise it is <data dir>/postgres.
pg_cluster() {
  if is_root; then
    echo "/var/lib/strata/postgres/$(printf %s "$STRATA_DATA_DIR" | sha256sum | cut -c1-16)"
  else
    echo "$STRATA_DATA_DIR/postgres"
  fi
}
as_pg() { if is_root; then server_env runuser -u postgres -- "$@"; else server_env "$@"; fi; }
# port of this data dir's running cluster, if any
own_postgres_port() {
  local cluster bindir
  cluster="$(pg_cluster)" && bindir="$(pg_bindir)"
  [ -n "$bindir" ] && [ -f "$cluster/postmaster.pid" ] || return 1
  as_pg "$bindir/pg_ctl" -D "$cluster" status >/dev/null 2>&1 || return 1
  sed -n 4p "$cluster/postmaster.pid"
}

postgres_up() {
  local cluster bindir port
  cluster="$(pg_cluster)"; bindir="$(pg_bindir)"
  [ -n "$bindir" ] || die "PostgreSQL is not installed: install PostgreSQL >= 13 or set LOCAL_POSTGRES_URL"
  if is_root && [ ! -f "$servers/postgres-cluster" ] && [ -e "$cluster" ]; then
    # Left by an earlier data dir at the same path, since removed: its databases went with it.
    say "removing the PostgreSQL cluster $cluster of a removed data dir at this path"
    as_pg "$bindir/pg_ctl" -D "$cluster" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$cluster"
  fi
  if ! port="$(own_postgres_port)"; then
    mkdir -p "$cluster"
    # The postgres user must be able to pass through its parents whatever the umask.
    if is_root; then chmod 755 /var/lib/strata /var/lib/strata/postgres && chown postgres: "$cluster"; fi
    chmod 700 "$cluster"
    if [ ! -f "$cluster/PG_VERSION" ]; then
      say "creating a PostgreSQL cluster in $cluster"
      as_pg "$bindir/initdb" -D "$cluster" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    echo "$cluster" >"$servers/postgres-cluster"
    port="$(choose_port "$servers/postgres.port")"
    say "starting PostgreSQL on 127.0.0.1:$port (cluster in $cluster)"
    as_pg "$bindir/pg_ctl" -D "$cluster" -l "$cluster/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster" start >/dev/null ||
      die "PostgreSQL did not start; see $cluster/server.log"
  fi
  export LOCAL_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

postgres_down() {
  own_postgres_port >/dev/null || return 0
  say "stopping PostgreSQL (cluster in $(pg_cluster))"
  as_pg "$(pg_bindir)/pg_ctl" -D "$(pg_cluster)" -m fast -w stop >/dev/null ||
    say "PostgreSQL did not stop; see $(pg_cluster)/server.log"
}

# Starts (or finds running) the servers that are not given, and exports their URLs.
servers_up() {
  mkdir -p "$servers/users"
  if [ -n "$given_redis" ]; then check_given REDIS_URL "$given_redis" 6379; else redis_up; fi
  if [ -n "$given_postgres" ]; then check_given LOCAL_POSTGRES_URL "$given_postgres" 5432; else postgres_up; fi
}

servers_down() {
  redis_down
  postgres_down
}

# Commands using the servers register under <data dir>/servers/users; the last one to end stops
# them, so an `npm test` beside an `npm start` of the same data dir does not pull them away.
servers_use() { servers_up; touch "$servers/users/$$"; }
servers_release() {
  rm -f "$servers/users/$$"
  local user
  for user in "$servers"/users/*; do
    [ -e "$user" ] || continue
    if kill -0 "$(basename "$user")" 2>/dev/null; then return 0; fi
    rm -f "$user"
  done
  servers_down
}

# Runs the given commands in the background with the servers, and on exit, however it comes
# (the commands ending, Ctrl-C, SIGTERM), stops them, waits for them, then releases the servers.
children=()
children_alive() {
  local pid
  for pid in "${children[@]}"; do
    kill -0 "$pid" 2>/dev/null && return 0
  done
  return 1
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "${#children[@]}" -gt 0 ]; then
    # Ctrl-C in a terminal reaches the children too, and a second signal cuts their close
    # short: give them 10 s to close on the first before signalling them.
    if [ "$status" -eq 130 ]; then
      local _
      for _ in $(seq 1 100); do
        children_alive || break
        sleep 0.1
      done
    fi
    kill -TERM "${children[@]}" 2>/dev/null || true
    wait "${children[@]}" 2>/dev/null || true
  fi
  servers_release
  exit "$status"
}
with_servers() {
  # Traps first: a signal while the servers start must still stop them.
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  servers_use
}

case "$command" in
  setup) setup ;;
  start)
    setup
    with_servers
    node dist/workers/index.js &
    children+=($!)
    node dist/server/server.js &
    children+=($!)
    # When either ends, the other is stopped too (cleanup).
    wait -n "${children[@]}"
    ;;
  test)
    setup
    ensure_chromium
    ensure_schemathesis
    # An S3-compatible server on loopback for the multi-machine tests' s3:// state backend.
    ensure_python_tool 'moto[server]' moto_server
    npx --no-install eslint .
    npx --no-install prettier --check . >/dev/null || { npx --no-install prettier --list-different .; die "formatting differs: run npm run format"; }
    # No import cycle between files or folders, no cloud importing a sibling cloud's programs.
    node scripts/check-imports.mjs
    with_servers
    node --test --test-concurrency=2 --test-timeout=600000 'dist/test/**/*.test.js' &
    children+=($!)
    wait "${children[0]}"
    ;;
  bench)
    setup
    with_servers
    shift
    node dist/bench/index.js "$@" &
    children+=($!)
    wait "${children[0]}"
    ;;
  servers)
    # For running the API or the worker by hand: start the servers, print their URLs, leave them.
    ensure_node
    ensure_server_packages
    servers_up
    echo "REDIS_URL=$REDIS_URL"
    echo "LOCAL_POSTGRES_URL=$LOCAL_POSTGRES_URL"
    ;;
  run)
    # run <command…>: the command with the data dir's servers, which stop when it ends.
    shift
    [ "$#" -gt 0 ] || die "usage: strata.sh run <command…>"
    ensure_node
    ensure_server_packages
    with_servers
    "$@" &
    children+=($!)
    wait "${children[0]}"
    ;;
  stop)
    servers_down
    rm -f "$servers"/users/*
    ;;
  *) die "unknown command $command (start, test, bench, setup, servers, run, stop)" ;;
esac
