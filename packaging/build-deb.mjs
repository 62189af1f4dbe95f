#!/usr/bin/env node
// `npm run package`: builds dist/floatlb_<version>_<arch>.deb with dpkg-deb
// from the bundled CLI (dist/src/cli/main.js, built first by `npm run build`),
// the packages the bundle leaves external (koffi with only this
// architecture's prebuilt binary, pino, pino-pretty), the systemd unit and a
// man page generated from the CLI's help. Prints the path of the .deb.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { manPageFor } from './manpage.mjs';

const root = new URL('..', import.meta.url).pathname;
const here = join(root, 'packaging');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
// koffi's directory name for each Debian architecture it has a prebuilt binary for.
const KOFFI = { amd64: 'x64', arm64: 'arm64', armhf: 'arm', i386: 'ia32', riscv64: 'riscv64' };
// The packages the bundle imports at run time (see "bundle" in package.json).
const EXTERNAL = ['koffi', 'pino', 'pino-pretty'];
// Debian 12's nodejs is 18; 20.19 is Debian 13's, or NodeSource's on Debian 12.
const NODE_MIN = (pkg.engines?.node ?? '').replace(/^>=\s*/, '');

if (!KOFFI[arch]) throw new Error(`no koffi prebuilt binary for the architecture ${arch}`);
if (!/^\d+\.\d+/.test(NODE_MIN))
  throw new Error(`package.json engines.node is not ">=X.Y": ${pkg.engines?.node}`);
const cli = join(root, 'dist/src/cli/main.js');
if (!existsSync(cli)) throw new Error('dist/src/cli/main.js is missing: run npm run build first');

const stage = join(root, 'dist/deb', `floatlb_${pkg.version}_${arch}`);
rmSync(stage, { recursive: true, force: true });
const put = (path, data, mode = 0o644) => {
  const p = join(stage, path);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  chmodSync(p, mode);
};

// The program: the bundle, and the external packages with their dependencies
// resolved as Node resolves them (walking up node_modules directories).
const lib = 'usr/lib/floatlb';
put(`${lib}/main.js`, readFileSync(cli));
// The status page's browser script, found beside main.js.
put(`${lib}/status-page/app.js`, readFileSync(join(root, 'dist/status-page/app.js')));
put(
  `${lib}/package.json`,
  `${JSON.stringify({ name: 'floatlb', version: pkg.version, type: 'module' }, null, 2)}\n`,
);
const nm = join(root, 'node_modules');
const copied = new Set();
function resolveFrom(fromDir, name) {
  for (let d = fromDir; d.startsWith(nm); d = dirname(d)) {
    const base = d.endsWith('/node_modules') ? d : join(d, 'node_modules');
    if (existsSync(join(base, name, 'package.json'))) return join(base, name);
    if (d === nm) break;
  }
  return null;
}
function copyPackage(dir) {
  if (copied.has(dir)) return;
  copied.add(dir);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  cpSync(dir, join(stage, lib, 'node_modules', relative(nm, dir)), {
    recursive: true,
    // Nested node_modules are copied as packages of their own, when needed.
    filter: (src) => relative(dir, src) !== 'node_modules',
  });
  const deps = { ...meta.dependencies, ...meta.optionalDependencies };
  for (const name of Object.keys(deps)) {
    const found = resolveFrom(dir, name);
    if (found) copyPackage(found);
    else if (!meta.optionalDependencies?.[name])
      throw new Error(`${meta.name} needs ${name}, which is not installed`);
  }
}
for (const name of EXTERNAL) {
  const found = resolveFrom(nm, name);
  if (!found) throw new Error(`${name} is not installed: run npm install`);
  copyPackage(found);
}
// Only this architecture's koffi binary (glibc); koffi's other builds and docs stay out.
const koffiPlat = join(stage, lib, 'node_modules/@koromix', `koffi-linux-${KOFFI[arch]}`);
if (!existsSync(join(koffiPlat, `linux_${KOFFI[arch]}`))) {
  throw new Error(`koffi's prebuilt binary for linux_${KOFFI[arch]} is not installed`);
}
for (const d of readdirSync(koffiPlat)) {
  if (statSync(join(koffiPlat, d)).isDirectory() && d !== `linux_${KOFFI[arch]}`) {
    rmSync(join(koffiPlat, d), { recursive: true });
  }
}
rmSync(join(stage, lib, 'node_modules/koffi/doc'), { recursive: true, force: true });

put('usr/bin/floatlb', `#!/bin/sh\nexec /usr/bin/node /usr/lib/floatlb/main.js "$@"\n`, 0o755);
put('usr/lib/systemd/system/floatlb.service', readFileSync(join(here, 'floatlb.service')));
put('usr/lib/tmpfiles.d/floatlb.conf', readFileSync(join(here, 'debian/tmpfiles.conf')));
put('etc/default/floatlb', readFileSync(join(here, 'debian/default')));
mkdirSync(join(stage, 'var/lib/floatlb'), { recursive: true });
chmodSync(join(stage, 'var/lib/floatlb'), 0o750);
const date = new Date().toISOString().slice(0, 10);
put('usr/share/man/man8/floatlb.8.gz', gzipSync(manPageFor(cli, pkg.version, date), { level: 9 }));
put('usr/share/doc/floatlb/copyright', readFileSync(join(here, 'debian/copyright')));
put('usr/share/doc/floatlb/README.md', readFileSync(join(root, 'README.md')));

// Control area.
const files = [];
(function walk(d) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(p);
  }
})(stage);
const sizeKiB = Math.ceil(files.reduce((n, f) => n + statSync(f).size, 0) / 1024);
const md5 = files.map(
  (f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(stage, f)}\n`,
);
put('DEBIAN/md5sums', md5.join(''));
put('DEBIAN/conffiles', '/etc/default/floatlb\n');
put(
  'DEBIAN/control',
  [
    'Package: floatlb',
    `Version: ${pkg.version}`,
    `Architecture: ${arch}`,
    'Maintainer: floatlb maintainers <floatlb@localhost>',
    `Installed-Size: ${sizeKiB}`,
    `Depends: nodejs (>= ${NODE_MIN}), nftables, iproute2`,
    'Suggests: ipvsadm',
    'Section: net',
    'Priority: optional',
    `Description: ${pkg.description.replace(/\.$/, '').split(':')[0]}`,
    ' floatlb reads keepalived.conf, programs IPVS (or nftables where the kernel',
    ' has no IPVS), runs keepalived-style health checks and holds virtual',
    ' addresses with VRRP v2/v3, interoperable with keepalived.',
    '',
  ].join('\n'),
);
for (const s of ['postinst', 'prerm', 'postrm'])
  put(`DEBIAN/${s}`, readFileSync(join(here, 'debian', s)), 0o755);

const deb = join(root, 'dist', `floatlb_${pkg.version}_${arch}.deb`);
execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
console.log(relative(process.cwd(), deb) || deb);
