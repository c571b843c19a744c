#!/usr/bin/env bash
# Builds the pulumi CLI from the Go module proxy when the official installer cannot be reached.
# Usage: build-pulumi.sh <version without v> <output binary path>
set -euo pipefail
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
GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go get "github.com/pulumi/pulumi/pkg/v3@v${version}" "github.com/pulumi/pulumi/sdk/v3@v${version}"
mkdir -p "$(dirname "$out")"
GOFLAGS=-mod=mod go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}" \
  -o "$out.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$out.tmp" "$out"
echo "strata: built pulumi v${version} in $(( $(date +%s) - start ))s -> $out" >&2
