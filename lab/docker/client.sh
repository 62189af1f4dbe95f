#!/bin/sh
# The demo's client in a container: waits for the VIP, shows the split, then
# makes a new connection every 20 ms and prints one line per attempt (kill
# the master with `docker-compose kill d1` and watch the gap).
set -u
VIP=${VIP:-172.20.46.222}
until curl -sf -o /dev/null "http://$VIP/"; do sleep 1; done
echo "split over 300 requests:"
node lab/servers/client.mjs --target "$VIP:80" --proto http --count 300
exec node lab/servers/client.mjs --target "$VIP:80" --proto http --interval 20
