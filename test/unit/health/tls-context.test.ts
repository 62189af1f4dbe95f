// The shared TLS client contexts stay bounded however many reloads name new
// SSL files, and the one just prepared is the one checks get.
import { expect, test } from 'vitest';
import { prepareTlsContext, tlsContextCount, tlsContextFor } from '../../../src/health/tls-context.js';

test('reloads with new SSL settings keep at most a few contexts; the latest is kept', () => {
  for (let i = 0; i < 50; i++) expect(prepareTlsContext({ password: `p${i}` })).toBeNull();
  expect(tlsContextCount()).toBeLessThanOrEqual(4);
  const latest = tlsContextFor({ password: 'p49' });
  expect(prepareTlsContext({ password: 'other' })).toBeNull();
  // still held: the same object, not a rebuilt one
  expect(tlsContextFor({ password: 'p49' })).toBe(latest);
  // an evicted one is loaded again on use
  expect(tlsContextFor({ password: 'p0' })).toBeDefined();
  expect(tlsContextCount()).toBeLessThanOrEqual(4);
});
