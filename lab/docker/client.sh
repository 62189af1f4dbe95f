#!/bin/sh
# The demo's client in a container: waits for the VIP, shows the split, then
# makes a new connection every 50 ms and prints one line per attempt (kill
# the master with `docker-compose kill d1` and watch the gap).
#   TARGET=VIP:PORT (default 172.20.46.222:80)
set -u
TARGET=${TARGET:-172.20.46.222:80}
until curl -sf -o /dev/null --max-time 2 "http://$TARGET/"; do sleep 0.5; done
echo "split over 300 requests:"
node servers/client.mjs --target "$TARGET" --proto http --count 300
exec node servers/client.mjs --target "$TARGET" --proto http --interval 50
