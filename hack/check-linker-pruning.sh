#!/usr/bin/env bash
# check-linker-pruning.sh TAGS PACKAGE...: fail if the linker sees a reachable call of reflect's Method or
# MethodByName with a name it cannot know (a <ReflectMethod> function in -dumpdep's graph). Once it sees one,
# it keeps every exported method of every type that can reach an interface, used or not: for the manager
# that was 14.6 MB of its 56 MB of code and read-only data, nearly all of it resident (each page faulted in
# pulls in its neighbours). It came from golang.org/x/net/trace, which grpc imports unless built with
# grpcnotrace, and whose init registers handlers that render html/template.
set -euo pipefail
tags="$1"; shift
out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT
for pkg in "$@"; do
  go build -tags "${tags}" -ldflags=-dumpdep -o "${out}/bin" "${pkg}" 2>"${out}/deps"
  if grep -q '<ReflectMethod>' "${out}/deps"; then
    echo "check-linker-pruning: ${pkg} (tags: ${tags}) reaches a reflect Method call by a dynamic name:" >&2
    grep '<ReflectMethod> ->' "${out}/deps" | cut -d' ' -f1 | sort -u | head -5 >&2
    echo "find who reaches it with: go build -tags '${tags}' -ldflags=-dumpdep ${pkg} 2>&1 | grep -- '-> <that function>'" >&2
    exit 1
  fi
done
