#!/bin/bash
# Before closing, memdiag gate says what the gate would hurt: the active
# dialogs (and refuses without --force while there are any) and the
# registered contacts that would expire within the budget. A real
# Kamailio on 127.0.0.1 with dialog and registrar; a call held open by
# memdiag call in registered mode provides one dialog and one contact
# (registered for 300 s). --gate none: nothing is gated, the lock and the
# report are the same as for the other backends.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/kam.sh"

RUN=$T_TMP/run
mkdir -p "$RUN"
kam_start harm "$top_srcdir/tests/lib/proxy.cfg" -A WITH_DIALOG \
    -A WITH_REGISTRAR || { fail "kamailio"; finish; }

gate() {
	"$MEMDIAG" gate --target "$KAM_PID" --run-dir "$RUN" --gate none "$@"
}

expect_status 0 "no calls: the gate closes without --force" gate --hold 0
check "it reports no active dialogs" grep -q "^active dialogs: 0 " "$T_TMP/out"
check "and no contacts" grep -q "^registrations: 0 of 0 contacts" "$T_TMP/out"

"$MEMDIAG" call --proxy "127.0.0.1:$KAM_PORT" --mode registered --calls 1 \
    --hold 8000 >"$T_TMP/call.out" 2>&1 &
CALL_PID=$!
t_on_exit "kill $CALL_PID 2>/dev/null"
for i in $(seq 1 50); do
	kamcmd -s "$KAM_CTL" dlg.stats_active 2>/dev/null |
	    grep -q "ongoing: 1" && break
	sleep 0.1
done
check "a call is up" sh -c "kamcmd -s '$KAM_CTL' dlg.stats_active | grep -q 'ongoing: 1'"

expect_status 77 "an active call: refused without --force" gate --hold 0
check "the refusal says why and what to do" \
    grep -q "1 calls are active.*give --force" "$T_TMP/err"
check "it reports the dialog" grep -q "^active dialogs: 1 " "$T_TMP/out"
expect_status 0 "with --force it gates" gate --hold 0 --force --budget 600
check "the contact expires within a 600 s budget" \
    grep -q "^registrations: 1 of 1 contacts expire within the budget (600 s)" \
    "$T_TMP/out"
expect_status 0 "a shorter budget" gate --hold 0 --force --budget 100
check "the contact outlives a 100 s budget" \
    grep -q "^registrations: 0 of 1 contacts" "$T_TMP/out"
kill -TERM "$CALL_PID" 2>/dev/null; wait "$CALL_PID" || true
finish
