// The MRS pool the API and adapter tests share: one LB IP, two nodes, active/standby.
export const MRS_LB = '192.168.0.50';
export const MRS_NODES = ['192.168.1.2', '192.168.1.3'] as const;

export const MRS_POOL_CONF = `virtual_server ${MRS_LB} 20026 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  active_standby
${MRS_NODES.map((n) => `  real_server ${n} 20026 {\n    weight 1\n  }`).join('\n')}
}
`;
