#!/bin/sh
# busybox httpd on $PORT: / says "hello from $SERVICE $VERSION", /up answers 200 (except in the
# `unhealthy` variant), /cgi-bin/sleep?N answers after N seconds (a request in flight during a
# switch); the `ws` variant answers WebSockets instead (ws.sh). PID 1 traps TERM so a stop takes well under a second instead of the 10 s kill timeout.
VERSION=${APP_VERSION:-$(cat /app/version)}
VARIANT=$(cat /app/variant)
mkdir -p /www/cgi-bin
cp /app/sleep.cgi /www/cgi-bin/sleep
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
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
