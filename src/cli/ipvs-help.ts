// `floatlb ipvs -h`: the commands and options it takes, in ipvsadm's spellings.
export const IPVS_HELP = `floatlb ipvs: program and list IPVS with ipvsadm's command line.

Commands (one per call; word forms in brackets):
  -A|--add-service    SERVICE [-s SCHED] [-p [TIMEOUT]] [-M NETMASK] [-b FLAGS] [-o]   (add-service)
  -E|--edit-service   SERVICE [-s SCHED] [-p [TIMEOUT]] [-M NETMASK] [-b FLAGS] [-o]   (edit-service)
  -D|--delete-service SERVICE                                                        (delete-service)
  -a|--add-server     SERVICE -r SERVER [-g|-i|-m] [-w W] [-x U] [-y L] [TUNNEL]     (add-server, add)
  -e|--edit-server    SERVICE -r SERVER [-g|-i|-m] [-w W] [-x U] [-y L] [TUNNEL]     (edit-server, edit)
  -d|--delete-server  SERVICE -r SERVER                                             (delete-server, delete)
  -C|--clear                      remove every service                              (clear)
  -Z|--zero [SERVICE]             zero the counters                                 (zero)
  -L|-l|--list [SERVICE] [LIST]   list services and real servers                    (list)
  -L -c|--connection [-n] [--persistent-conn]
                                  list the connection table (/proc/net/ip_vs_conn)
  -S|--save [-n] [--nosort]       print the table as rules for -R                  (save)
  -R|--restore                    read rules from stdin, replacing the table        (restore)
  --set TCP TCPFIN UDP            set the connection timeouts                       (set-timeout)
  --start-daemon master|backup [--mcast-interface IF] [--syncid N] [--mcast-group ADDR]
                 [--mcast-port P] [--mcast-ttl T] [--sync-maxlen LEN]               (start-daemon)
  --stop-daemon master|backup                                                      (stop-daemon)
  -h|--help                       this text                                         (help)

SERVICE:  -t|--tcp-service ADDR:PORT  -u|--udp-service ADDR:PORT  --sctp-service ADDR:PORT
          -f|--fwmark-service MARK [-6|--ipv6]      IPv6 addresses as [ADDR]:PORT
SERVER:   ADDR[:PORT]; -g gatewaying (DR, default), -i ipip (TUN), -m masquerading (NAT)
TUNNEL:   --tun-type ipip|gue|gre [--tun-port P] [--tun-nocsum|--tun-csum|--tun-remcsum]
LIST:     -n|--numeric  --stats  --rate  --thresholds  --persistent-conn  --tun-info
          --exact  --sort|--nosort  --timeout  --daemon
Any command: --netns NAME acts in that network namespace.
Without -n, addresses and ports are shown as host and service names where they resolve.
`;
