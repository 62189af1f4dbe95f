// The compose files as docker-compose 1.29 reads them: valid, on --plane
// auto, with IPVS sysctls only in the IPVS override, and nothing pulled from
// a registry (every image is built here or made by lab/docker/images.sh).
import { describe, expect, it } from 'vitest';
import { run } from './support.js';

const FILES = [
  ['docker-compose.yml'],
  ['docker-compose.yml', 'docker-compose.ipvs.yml'],
  ['docker-compose.seed-003.yml'],
];

describe('the compose files', () => {
  it.each(
    FILES.map((f) => [f.join(' + '), f] as const),
  )('%s passes docker-compose config', async (_, files) => {
    const r = await run('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('--plane ipvs');
    expect(r.stdout.includes('net.ipv4.vs.')).toBe(files.includes('docker-compose.ipvs.yml'));
    // Only images this repository builds or imports.
    for (const m of r.stdout.matchAll(/^\s+image: (\S+)$/gm)) {
      expect(['floatlb-lab:latest', 'floatlb-peer-base:latest']).toContain(m[1]);
    }
  });
});
