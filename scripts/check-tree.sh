#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Checks the shape of the tree; prints each violation and exits 1 on any:
# - layering of user/: a file includes headers of its own layer or a lower one
#     0 lib   1 sys   2 tracer scanner   3 engine   4 sinks report   5 cli
#   (bpf/, the event schema, is below them all; headers are named with their folder);
# - no userspace function (any tracked C file in user/, tests/, bench/ but the *.bpf.c
#   BPF programs) is longer than 150 lines;
# - every C source and header starts with its SPDX-License-Identifier line;
# - nothing tracked points outside the repository (to the briefing folder beside it).
cd "$(dirname "$0")/.." || exit 1
bad=0
say() { echo "check-tree: $*"; bad=1; }

rank() {
	case $1 in
	bpf|lib) echo 0 ;; sys) echo 1 ;; tracer|scanner) echo 2 ;; engine) echo 3 ;;
	sinks|report) echo 4 ;; cli) echo 5 ;; *) echo "" ;;
	esac
}
for f in user/*.[ch] user/*/*.[ch]; do
	[ -e "$f" ] || continue
	dir=${f#user/}; dir=${dir%%/*}
	r=$(rank "$dir")
	if [ -z "$r" ] || [ "$dir" = bpf ]; then
		say "$f is in no layer (lib sys tracer scanner engine sinks report cli)"; continue
	fi
	while IFS= read -r inc; do
		idir=${inc%%/*}
		if [ "$idir" = "$inc" ]; then
			case $inc in *.skel.h) continue ;; esac
			say "$f includes \"$inc\" without its folder"; continue
		fi
		ir=$(rank "$idir")
		if [ -z "$ir" ]; then
			say "$f includes \"$inc\" from no layer"
		elif [ "$ir" -gt "$r" ]; then
			say "$f ($dir) includes \"$inc\" ($idir, a higher layer)"
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done

# a function body: from a "{" in column 0 to the next "}" in column 0
mapfile -t userspace < <(git ls-files 'user/*.c' 'tests/*.c' 'bench/*.c' ':!:*.bpf.c')
[ ${#userspace[@]} -gt 0 ] || say "no userspace C files found (git ls-files)"
while IFS= read -r line; do
	say "$line"
done < <(awk 'FNR == 1 { start = 0 }
	/^{$/ { start = FNR; name = prev }
	/^}/ && start { n = FNR - start + 1; if (n > 150) printf "%s:%d: %s is %d lines (at most 150)\n", FILENAME, start, name, n; start = 0 }
	{ if ($0 ~ /\(/) prev = $0 }' "${userspace[@]}")

for f in $(git ls-files 'user/*.[ch]' 'bpf/*.[ch]' 'bench/*.[ch]' 'tests/*.[ch]'); do
	head -2 "$f" | grep -q 'SPDX-License-Identifier: ' || say "$f has no SPDX-License-Identifier line"
done

# the pattern is built so that this file does not match it
outside='\.\./'"shared"
if git grep -n "$outside" > /dev/null 2>&1; then
	git grep -n "$outside" | while IFS= read -r l; do echo "check-tree: points outside the repository: $l"; done
	bad=1
fi
[ $bad = 0 ]
