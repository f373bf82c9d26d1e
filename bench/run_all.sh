#!/usr/bin/env bash
# Run every benchmark in sequence; exit 1 if any budget failed (all still run).
#   bench/run_all.sh            # ~10 minutes on 2 cores (poll builds a 5,000-order store; import runs 1M rows)
#   BENCH_FULL=1 bench/run_all.sh   # also apply_order on a 1,000,000-number store (~2.5 more minutes)
#   BENCH_SUITE=1 bench/run_all.sh  # also the README's test command on a fresh clone (minutes; budget 6)
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
status=0
"$PY" bench/startup.py --reps 30 || status=1
echo
"$PY" bench/store_list.py --reps 15 || status=1
echo
if [ "${BENCH_FULL:-0}" = "1" ]; then
    "$PY" bench/apply_order.py --reps 3 --background 1000000 || status=1
else
    "$PY" bench/apply_order.py --reps 3 || status=1
fi
echo
"$PY" bench/poll.py || status=1
echo
"$PY" bench/store_commands.py --reps 15 || status=1
echo
"$PY" bench/batch.py || status=1
echo
"$PY" bench/import_csv.py --reps 3 || status=1
echo
"$PY" bench/completion.py --reps 15 || status=1
if [ "${BENCH_SUITE:-0}" = "1" ]; then
    echo
    "$PY" bench/suite.py || status=1
fi
exit $status
