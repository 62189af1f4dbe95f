// Maglev lookup table (Eisenbud et al., NSDI'16), weighted as IPVS's `mh`
// does: a backend with weight w takes w turns per round (weights divided by
// their gcd). Pure; the plane loads the result as an nftables map.

export interface MaglevBackend {
  /** Stable name: the permutation depends only on it, not on list order. */
  readonly name: string;
  readonly weight: number;
}

/** FNV-1a over the name with a seed: two independent hashes per backend. */
function hash(name: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche so short names spread over the whole range
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}

/**
 * Table of size m (prime) whose slots hold backend indexes, or -1 for every
 * slot when no backend has a positive weight.
 */
export function buildMaglev(backends: readonly MaglevBackend[], m: number): Int32Array {
  if (!isPrime(m)) throw new Error(`Maglev table size ${m} is not prime`);
  const table = new Int32Array(m).fill(-1);
  const live = backends.map((b, i) => ({ ...b, i })).filter((b) => b.weight > 0);
  if (live.length === 0) return table;
  const g = live.reduce((acc, b) => gcd(acc, b.weight), 0);
  const offset = live.map((b) => hash(b.name, 0x5bd1e995) % m);
  const skip = live.map((b) => (hash(b.name, 0x1b873593) % (m - 1)) + 1);
  const next = new Array<number>(live.length).fill(0);
  const turns = live.map((b) => b.weight / g);
  let filled = 0;
  while (filled < m) {
    for (let j = 0; j < live.length && filled < m; j++) {
      for (let t = 0; t < turns[j]! && filled < m; t++) {
        let c = (offset[j]! + next[j]! * skip[j]!) % m;
        while (table[c]! >= 0) {
          next[j]!++;
          c = (offset[j]! + next[j]! * skip[j]!) % m;
        }
        table[c] = live[j]!.i;
        next[j]!++;
        filled++;
      }
    }
  }
  return table;
}
