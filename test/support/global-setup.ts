import { deleteNetnsByPrefix } from '../../lab/netns.js';
import { TEST_NETNS_PREFIX } from './netns.js';

// Namespaces left by a crashed or failed run are removed before and after.
export function setup(): void {
  if (process.getuid?.() === 0) deleteNetnsByPrefix(TEST_NETNS_PREFIX);
}

export function teardown(): void {
  if (process.getuid?.() === 0) deleteNetnsByPrefix(TEST_NETNS_PREFIX);
}
