#!/usr/bin/env bash
# make bench plug-in: for each real broker (NATS JetStream, Redis Streams,
# RabbitMQ), started here on loopback the way the tests start it, the C
# client's raw acked publish rate (the bench/*_publish.cpp binaries: 50k
# messages of 80 B, acks/confirms on) against Sluice's POST → 202 rate through
# that broker (`sluice api` with SLUICE_BROKER_URL — the ingest path alone, as
# when workers run elsewhere; wrk closed loop, 32 connections), one record per
# POST and 20 records per POST (messages/s). Goal: POST → 202 ≥ 50 % of the raw rate.
# Prints ROW|figure|sluice|ceiling|ratio|goal lines on stdout (collected by
# bench/run.sh), progress on stderr. Every step is bounded in time.
source "$(dirname "$0")/lib.sh"
bench_init
DUR=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNECTIONS:-32}
MSGS=${BENCH_BROKER_MESSAGES:-50000}
BYTES=80
BROKERS=${BENCH_BROKERS:-nats redis rabbitmq snssqs}
# SNS+SQS (the fauxqs emulator, in memory): test credentials, never AWS.
export AWS_ACCESS_KEY_ID=AKIDSLUICEBENCH AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true

log() { echo "$*" >&2; }
emit() { echo "ROW|$1|$2|$3|$4|$5"; }

write_post_lua "$WORK/post.lua" 1
write_post_lua "$WORK/post20.lua" 20
extra=()

for b in $BROKERS; do
  case $b in
    nats)     title="NATS JetStream";  start_nats nats
              url=$nats_URL; server_pid=$nats_PID
              raw=(timeout 120 "$BUILD_DIR/sluice_bench_nats_publish" "$nats_URL" "$MSGS" "$BYTES") ;;
    redis)    title="Redis Streams (appendfsync always)"; start_redis redis
              url=$redis_URL; server_pid=$redis_PID
              raw=(timeout 120 "$BUILD_DIR/sluice_bench_redis_publish" 127.0.0.1 "$redis_PORT" "$MSGS" "$BYTES") ;;
    rabbitmq) title="RabbitMQ (quorum queue)"; log "-- starting RabbitMQ (takes a while)"
              start_rabbitmq rabbit
              url=$rabbit_URL; server_pid=$rabbit_PID
              raw=(timeout 120 "$BUILD_DIR/sluice_bench_rabbitmq_publish" "amqp://guest:guest@127.0.0.1:$rabbit_PORT" "$MSGS" "$BYTES") ;;
    snssqs)   title="SNS+SQS (fauxqs emulator)"; start_fauxqs sqs
              url="sns+sqs://us-east-1"; server_pid=$sqs_PID
              extra=(SLUICE_BROKER_AWS_ENDPOINT="$sqs_ENDPOINT")
              raw=(timeout 120 "$BUILD_DIR/sluice_bench_snssqs_publish" "$sqs_ENDPOINT" "$((MSGS / 5))" "$BYTES" 32) ;;
    *) log "unknown broker $b"; continue ;;
  esac
  log "-- $title: raw acked publish, $MSGS × $BYTES B"
  out=$("${raw[@]}" 2>&1) || log "$out"
  log "   $out"
  raw_rate=$(echo "$out" | msgs_per_s)
  SLUICE_MODE=api start_sluice "s_$b" SLUICE_BROKER_URL="$url" "${extra[@]}"
  port=$(eval echo "\$s_${b}_PORT")
  log "-- $title: Sluice POST → 202 (sluice api, wrk, $CONNS connections, ${DUR}s)"
  post_rps=$(wrk_rate "http://127.0.0.1:$port/v1/users" -t2 -c"$CONNS" -d"${DUR}s" -s "$WORK/post.lua")
  emit "POST → 202 via $title req/s (1 record each)" "$post_rps" "${raw_rate:-?} (raw acked publish)" \
       "$(ratio "$post_rps" "${raw_rate:-0}")" "≥ 50 %"
  batch_rps=$(wrk_rate "http://127.0.0.1:$port/v1/users" -t2 -c"$CONNS" -d"${DUR}s" -s "$WORK/post20.lua")
  batch_msgs=$(python3 -c "print(int(float('${batch_rps:-0}') * 20))")
  emit "messages/s via $title, 20 records per POST" "$batch_msgs" "${raw_rate:-?} (raw acked publish)" \
       "$(ratio "$batch_msgs" "${raw_rate:-0}")" "(for comparison)"
  stop_server "$(eval echo "\$s_${b}_PID")"
  if [ "$b" = snssqs ]; then
    # End to end: POST (20 records each) → SNS → SQS → subscriber → SQLite rows.
    start_sluice e2e SLUICE_BROKER_URL="$url" "${extra[@]}" SLUICE_BROKER_NAMESPACE=e2e
    log "-- $title: end to end, POST 20 records each (sluice bench, 8 connections, ${DUR}s) → rows"
    db=$WORK/e2e/sluice.db
    rows() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from users').fetchone()[0])" "$db" 2>/dev/null || echo 0; }
    t0=$(date +%s.%N)
    timeout $((DUR + 30)) "$SLUICE" bench --url "http://127.0.0.1:$e2e_PORT" --duration "${DUR}s" --connections 8 \
        --mix post=1 --batch 20 --freshness-every 0 --json >"$WORK/e2e.json" || true
    expected=$(($(json_get "$WORK/e2e.json" accepted) * 20))
    last=-1; t_last=$t0; still=0
    for ((i = 0; i < 900; i++)); do
      n=$(rows)
      if [ "$n" != "$last" ]; then last=$n; t_last=$(date +%s.%N); still=0; else still=$((still + 1)); fi
      [ "$n" -ge "$expected" ] && break
      [ "$still" -ge 100 ] && { log "e2e stalled at $n of $expected rows"; break; }
      sleep 0.1
    done
    e2e_rate=$(python3 -c "print(f'{$last / ($t_last - $t0):.0f}')")
    log "   $last of $expected rows committed, $e2e_rate rows/s"
    emit "end to end via $title rows/s (POST → row committed)" "$e2e_rate" "${raw_rate:-?} (raw acked publish)" \
         "$(ratio "$e2e_rate" "${raw_rate:-0}")" "(for comparison)"
    stop_server "$e2e_PID"
  fi
  extra=()
  stop_server "$server_pid"
done
