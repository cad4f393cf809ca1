#!/bin/sh
# A stand-in for docker/podman for the scheduler's scripts, run here: `run` runs the command
# (its argv as given) with the env file's variables and IMAGE set, as a process whose pid file names the container;
# `ps --quiet --filter label=dockyard-cron-job=X`, `inspect --format ... NAME` and
# `stop --time N NAME` act on those processes; `version` fails while $FAKE_DIR/down exists.
# Every call is appended to $FAKE_DIR/calls.
set -u
dir=$FAKE_DIR
mkdir -p "$dir/running"
echo "$*" >> "$dir/calls"
verb=$1; shift
case $verb in
run)
  name= label=
  while [ $# -gt 0 ]; do
    case $1 in
      --rm) shift ;;
      --name) name=$2; shift 2 ;;
      --label) case $2 in dockyard-cron-job=*) label=${2#*=} ;; esac; shift 2 ;;
      --env-file) set -a; . "$2"; set +a; shift 2 ;;
      --*) shift 2 ;;
      *) break ;;
    esac
  done
  IMAGE=$1; shift; export IMAGE
  echo "$label" > "$dir/running/$name"
  "$@" & pid=$!
  echo "$pid" >> "$dir/running/$name"
  trap 'kill $pid 2> /dev/null' TERM
  wait $pid; code=$?
  wait $pid 2> /dev/null && code=$?
  rm -f "$dir/running/$name"
  exit $code ;;
ps)
  want=${3#label=dockyard-cron-job=}
  for f in "$dir"/running/*; do
    [ -f "$f" ] && [ "$(head -n 1 "$f")" = "$want" ] && basename "$f"
  done; exit 0 ;;
inspect) echo "/$3" ;;
version) [ ! -e "$dir/down" ] ;;
stop)
  f="$dir/running/$3"
  [ -f "$f" ] && kill "$(tail -n 1 "$f")" 2> /dev/null
  exit 0 ;;
esac
