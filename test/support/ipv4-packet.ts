// An IPv4 header in front of a payload, as a raw socket returns a datagram.
export function ipv4Packet(
  payload: Buffer,
  o: { src?: string; dst?: string; ttl?: number; proto?: number } = {},
): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h[8] = o.ttl ?? 255;
  h[9] = o.proto ?? 112;
  Buffer.from((o.src ?? '10.0.0.1').split('.').map(Number)).copy(h, 12);
  Buffer.from((o.dst ?? '224.0.0.18').split('.').map(Number)).copy(h, 16);
  return Buffer.concat([h, payload]);
}
