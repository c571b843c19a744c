#!/usr/bin/env bash
# Builds the pulumi CLI from the Go module proxy when the official installer cannot be reached.
# Usage: build-pulumi.sh <version without v> <output binary path>
# (`source build-pulumi.sh --functions-only` defines the functions and builds nothing.)
set -euo pipefail

# "2m15s" from seconds.
elapsed() {
  local s="$1"
  if [ "$s" -ge 60 ]; then echo "$((s / 60))m$((s % 60))s"; else echo "${s}s"; fi
}

# with_progress <what> <phase> <command...>: runs the command, and while it runs says on stderr
# every STRATA_PROGRESS_INTERVAL seconds (15) what is being done and for how long, so a first
# start that spends minutes here is not silent. Returns the command's exit status.
with_progress() {
  local what="$1" phase="$2" interval="${STRATA_PROGRESS_INTERVAL:-15}"
  shift 2
  local began=${progress_began:-$SECONDS}
  (
    while sleep "$interval"; do
      echo "strata: still $what: $(elapsed $((SECONDS - began))) elapsed ($phase)" >&2
    done
  ) &
  local reporter=$! status=0
  "$@" || status=$?
  kill "$reporter" 2>/dev/null || true
  wait "$reporter" 2>/dev/null || true
  return "$status"
}

[ "${1:-}" = --functions-only ] && return 0

version="$1"
out="$2"
command -v go >/dev/null 2>&1 || {
  echo "strata: no pulumi ${version} on PATH and no Go toolchain to build it; install pulumi ${version} (https://www.pulumi.com/docs/install/) or Go >= 1.24" >&2
  exit 1
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >go.mod <<MOD
module strata.local/pulumi-cli

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 v${version}
	github.com/pulumi/pulumi/sdk/v3 v${version}
)
MOD
cat >tools.go <<'SRC'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
SRC
echo "strata: building pulumi v${version} from the Go module proxy (once per machine, several minutes)" >&2
start=$(date +%s)
# One clock for both phases, so the elapsed time counts from the start of the build.
progress_began=$SECONDS
what="building pulumi v${version} from the Go module proxy"
tidy() { GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1; }
get() { GOFLAGS=-mod=mod go get "github.com/pulumi/pulumi/pkg/v3@v${version}" "github.com/pulumi/pulumi/sdk/v3@v${version}"; }
with_progress "$what" "downloading modules" tidy || with_progress "$what" "downloading modules" get
mkdir -p "$(dirname "$out")"
with_progress "$what" "compiling" env GOFLAGS=-mod=mod go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}" \
  -o "$out.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$out.tmp" "$out"
echo "strata: built pulumi v${version} in $(( $(date +%s) - start ))s -> $out" >&2
