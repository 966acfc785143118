#!/bin/bash
# make check-full: every diagnosis scenario (tests/lib/scenario.sh) on
# every allocator (qm, fm, tlsf) against each maintained Kamailio built
# from ../shared/targets (tests/lib/build-target.sh, once per machine):
# 5.8.8, 6.0.7 (Debian 13's series) and 6.1.4; Debian 12's 5.6 is
# diag-matrix.sh. Prints the table of versions x allocators x scenarios
# (R right, W wrong) and writes it to $MATRIX_TABLE when set.
# MATRIX_VERSIONS, MATRIX_ALLOCS and MATRIX_SCENARIOS narrow it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"
. "$top_srcdir/tests/lib/scenario.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v bc >/dev/null || skip "bc is not installed"

versions=${MATRIX_VERSIONS:-5.8.8 6.0.7 6.1.4}
allocs=${MATRIX_ALLOCS:-qm fm tlsf}
scenarios=${MATRIX_SCENARIOS:-$(scen_list)}
table=$T_TMP/table
ran=0
for v in $versions; do
	export KAM_TARGET=kamailio-$v
	unset KAMAILIO
	# a version whose tarball is absent is said, not failed
	rc=0
	bash "$top_srcdir/tests/lib/build-target.sh" "$KAM_TARGET" \
	    >/dev/null 2>"$T_TMP/build.err" || rc=$?
	case $rc in
	0) ;;
	77) echo "skipped $KAM_TARGET: $(cat "$T_TMP/build.err")"; continue ;;
	*) fail "$KAM_TARGET: $(cat "$T_TMP/build.err")"; continue ;;
	esac
	ran=1
	for alloc in $allocs; do
		row="| $v | $alloc |"
		for name in $scenarios; do
			SCEN_PREFIX="$v "
			scen_run "$name" "$alloc"
			if [ "$SCEN_OK" = 1 ]; then
				row="$row R |"
			else
				row="$row W ($SCEN_STATUS) |"
				sed 's/^/    memdiag: /' "$T_TMP/$name-$alloc.err" | tail -8
			fi
		done
		echo "$row" >>"$table"
	done
done
[ "$ran" = 1 ] || skip "no Kamailio release tarball in ../shared/targets"
{
	echo "| Kamailio | allocator |$(printf ' %s |' $scenarios)"
	echo "|---|---|$(printf -- '---|%.0s' $scenarios)"
	cat "$table"
} | tee "${MATRIX_TABLE:-/dev/null}"
finish
