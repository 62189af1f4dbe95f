// Captured from ipvsadm 1.31 in the lab VM (Debian 12, kernel 6.1) for the
// table in ipvs-format.test.ts: the reference for byte-exact output.

export const LN =
  'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  200.0.0.1:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\nTCP  10.0.0.1:80 rr\n  -> 10.1.0.2:80                  Masq    3      0          0         \n  -> 10.1.0.3:80                  Route   0      0          0         \n  -> 10.1.0.4:80                  Tunnel  1      0          0         \n  -> 10.1.0.5:80                  Tunnel  1      0          0         \n  -> 10.1.0.6:80                  Tunnel  1      0          0         \nUDP  10.0.0.1:53 mh (mh-port) ops\nSCTP 10.0.0.9:38412 wlc (flag-3)\nTCP  [2001:db8::1]:80 nq persistent 60 mask 64\n  -> [2001:db8::2]:80             Masq    5      0          0         \nFWM  7 lblc persistent 360\nFWM  7 IPv6 fo\n';

export const LN_STATS =
  'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\nTCP  200.0.0.1:443                       0        0        0        0        0\nTCP  10.0.0.1:80                         0        0        0        0        0\n  -> 10.1.0.2:80                         0        0        0        0        0\n  -> 10.1.0.3:80                         0        0        0        0        0\n  -> 10.1.0.4:80                         0        0        0        0        0\n  -> 10.1.0.5:80                         0        0        0        0        0\n  -> 10.1.0.6:80                         0        0        0        0        0\nUDP  10.0.0.1:53                         0        0        0        0        0\nSCTP 10.0.0.9:38412                      0        0        0        0        0\nTCP  [2001:db8::1]:80                    0        0        0        0        0\n  -> [2001:db8::2]:80                    0        0        0        0        0\nFWM  7                                   0        0        0        0        0\nFWM  7 IPv6                              0        0        0        0        0\n';

export const LN_DAEMON =
  'master sync daemon (mcast=lab0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\nbackup sync daemon (mcast=lab0, syncid=6, maxlen=1400, group=224.0.0.99, port=8849, ttl=2)\n';

export const SAVE =
  '-A -t 200.0.0.1:443 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port\n-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.2:80 -m -w 3\n-a -t 10.0.0.1:80 -r 10.1.0.3:80 -g -w 0\n-a -t 10.0.0.1:80 -r 10.1.0.4:80 -i -w 1 --tun-type ipip\n-a -t 10.0.0.1:80 -r 10.1.0.5:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum\n-a -t 10.0.0.1:80 -r 10.1.0.6:80 -i -w 1 --tun-type gre --tun-csum\n-A -u 10.0.0.1:53 -s mh -o -b mh-port\n-A --sctp-service 10.0.0.9:38412 -s wlc -b flag-3\n-A -t [2001:db8::1]:80 -s nq -p 60 -M 64\n-a -t [2001:db8::1]:80 -r [2001:db8::2]:80 -m -w 5\n-A -f 7 -s lblc -p 360\n-A -f 7 -6 -s fo\n';

export const LN_ONE =
  'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.0.0.1:80 rr\n  -> 10.1.0.2:80                  Masq    3      0          0         \n  -> 10.1.0.3:80                  Route   0      0          0         \n  -> 10.1.0.4:80                  Tunnel  1      0          0         \n  -> 10.1.0.5:80                  Tunnel  1      0          0         \n  -> 10.1.0.6:80                  Tunnel  1      0          0         \n';

// /proc/net/ip_vs_conn and ipvsadm -Lnc (plain, --persistent-conn) read at one
// moment (the file read before and after ipvsadm was identical), in the lab VM
// with live IPv4 and IPv6 TCP and UDP connections through NAT services.
export const CONN_PROC =
  'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\nTCP 0A5B0002 DBA4 0A5B0064 0050 0A5C0002 1F90 CLOSE_WAIT       17\nTCP fd00:0091:0000:0000:0000:0000:0000:0002 A6CC fd00:0091:0000:0000:0000:0000:0000:0100 01BB fd00:0092:0000:0000:0000:0000:0000:0002 20FB ESTABLISHED     857\nUDP 0A5B0002 E3F4 0A5B0064 0035 0A5C0002 14E9 UDP             257\nTCP 0A5B0002 DBA0 0A5B0064 0050 0A5C0002 1F90 ESTABLISHED     856\nTCP 0A5B0002 DBA2 0A5B0064 0050 0A5C0002 1F90 ESTABLISHED     856\n';

export const LNC =
  'IPVS connection entries\npro expire state       source             virtual            destination\nTCP 00:17  CLOSE_WAIT  10.91.0.2:56228    10.91.0.100:80     10.92.0.2:8080\nTCP 14:17  ESTABLISHED [fd00:91::2]:42700 [fd00:91::100]:443 [fd00:92::2]:8443\nUDP 04:17  UDP         10.91.0.2:58356    10.91.0.100:53     10.92.0.2:5353\nTCP 14:16  ESTABLISHED 10.91.0.2:56224    10.91.0.100:80     10.92.0.2:8080\nTCP 14:16  ESTABLISHED 10.91.0.2:56226    10.91.0.100:80     10.92.0.2:8080\n';

export const LNC_PERSISTENT =
  'IPVS connection entries\npro expire state       source             virtual            destination        pe name          pe_data\nTCP 00:17  CLOSE_WAIT  10.91.0.2:56228    10.91.0.100:80     10.92.0.2:8080\nTCP 14:17  ESTABLISHED [fd00:91::2]:42700 [fd00:91::100]:443 [fd00:92::2]:8443\nUDP 04:17  UDP         10.91.0.2:58356    10.91.0.100:53     10.92.0.2:5353\nTCP 14:16  ESTABLISHED 10.91.0.2:56224    10.91.0.100:80     10.92.0.2:8080\nTCP 14:16  ESTABLISHED 10.91.0.2:56226    10.91.0.100:80     10.92.0.2:8080\n';
// ipvsadm -A -u 10.0.0.1:5060 -s rr -p 60 --pe sip, then -S -n and -L -n (lab VM, ipvsadm 1.31).
export const SAVE_PE = '-A -u 10.0.0.1:5060 -s rr -p 60 --pe sip\n';
export const LN_PE =
  'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nUDP  10.0.0.1:5060 rr persistent 60 pe sip\n';
