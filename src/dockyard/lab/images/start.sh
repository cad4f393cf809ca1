#!/bin/sh
# busybox httpd on $PORT: / says "hello from $SERVICE $VERSION", /up answers 200 (except in the
# `unhealthy` variant), /cgi-bin/sleep?N answers after N seconds (a request in flight during a
# switch), /cgi-bin/headers the X-Forwarded-* a proxy sent; the `ws` variant answers WebSockets
# instead (ws.sh). PID 1 traps TERM (a stop): the listener closes at once (a new connection is
# refused, so a proxy tries another server), the requests in flight finish (each is a forked httpd),
# then it exits, as an app server like puma does; a stop with none in flight takes ~0.1 s, not the
# 10 s kill timeout. WebSockets are cut.
VERSION=${APP_VERSION:-$(cat /app/version)}
VARIANT=$(cat /app/variant)
mkdir -p /www/cgi-bin
cp /app/sleep.cgi /www/cgi-bin/sleep
cp /app/headers.cgi /www/cgi-bin/headers
case "$VARIANT" in
  slow) cp /app/index.cgi /www/cgi-bin/index.cgi ;;  # no index.html: httpd runs index.cgi for /
  *) echo "hello from $SERVICE $VERSION" > /www/index.html ;;
esac
[ "$VARIANT" = unhealthy ] || echo OK > /www/up
export VERSION SERVICE
if [ "$VARIANT" = ws ]; then  # WebSockets: see ws.sh
  nc -ll -p "${PORT:-80}" -e /app/ws.sh &
else
  httpd -f -p "0.0.0.0:${PORT:-80}" -h /www &
fi
pid=$!
finish() {
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ "$VARIANT" != ws ]; then
    n=$(pidof httpd | wc -w)
    [ "$n" -eq 0 ] || echo "TERM: finishing $n requests in flight"
    while pidof httpd >/dev/null; do sleep 0.1; done
  fi
  exit 0
}
trap finish TERM INT
wait $pid
