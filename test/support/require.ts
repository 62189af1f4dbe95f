// Prerequisite guards. A test that needs root, a tool or the lab VM says so
// and fails (never skips) when the machine lacks it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (network namespaces)');
}

export function requireTool(name: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`this test needs ${name}: run lab/setup.sh`);
  }
}

export function requireIpvs(): void {
  if (!existsSync('/proc/net/ip_vs')) {
    throw new Error('this test needs a kernel with IPVS: it runs in the lab VM (npm run test:kernel)');
  }
}
