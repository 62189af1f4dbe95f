// The TLS client context SSL_GET checks share, as keepalived's checker
// shares one SSL_CTX: built once per config apply, not once per connection
// (a context per connection costs a certificate-store set-up every check).
import { readFileSync } from 'node:fs';
import tls, { type SecureContext } from 'node:tls';

/** The SSL block's files, as a check spec carries them. */
export interface TlsClientFiles {
  readonly certificate?: string;
  readonly key?: string;
  readonly password?: string;
  readonly ca?: string;
}

/** Which setting a load failure is about, and why. */
export interface TlsLoadProblem {
  readonly setting: 'certificate' | 'key' | 'ca';
  readonly message: string;
}

/**
 * Contexts by file set, oldest first. A config has one SSL block, so a few
 * entries cover the running config and the ones just before it; an evicted
 * one is loaded again on first use (tlsContextFor).
 */
const contexts = new Map<string, SecureContext>();
const MAX_CONTEXTS = 4;

function remember(k: string, ctx: SecureContext): void {
  contexts.delete(k);
  contexts.set(k, ctx);
  for (const old of contexts.keys()) {
    if (contexts.size <= MAX_CONTEXTS) break;
    contexts.delete(old);
  }
}

/** How many contexts are held (tests: the cache stays bounded across reloads). */
export const tlsContextCount = (): number => contexts.size;
const keyOf = (f: TlsClientFiles): string =>
  JSON.stringify([f.certificate ?? '', f.key ?? '', f.password ?? '', f.ca ?? '']);

function read(path: string, setting: TlsLoadProblem['setting']): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw problem(setting, `cannot read ${path}: ${err.code ?? err.message}`);
  }
}

function problem(setting: TlsLoadProblem['setting'], message: string): TlsLoadProblem & Error {
  return Object.assign(new Error(message), { setting, message });
}

/** OpenSSL's reason without the library's prefix, e.g. "bad decrypt". */
const reason = (e: unknown): string =>
  (e as Error).message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '').trim() || String(e);

function build(f: TlsClientFiles): SecureContext {
  const ca = f.ca ? read(f.ca, 'ca') : undefined;
  const cert = f.certificate ? read(f.certificate, 'certificate') : undefined;
  const key = f.key ? read(f.key, 'key') : undefined;
  if (ca) {
    try {
      tls.createSecureContext({ ca });
    } catch (e) {
      throw problem('ca', `cannot load ${f.ca}: ${reason(e)}`);
    }
  }
  if (cert) {
    try {
      tls.createSecureContext({ cert });
    } catch (e) {
      throw problem('certificate', `cannot load ${f.certificate}: ${reason(e)}`);
    }
  }
  try {
    return tls.createSecureContext({
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(f.password !== undefined ? { passphrase: f.password } : {}),
    });
  } catch (e) {
    throw problem('key', `cannot load ${f.key ?? '(no key file)'}: ${reason(e)}`);
  }
}

/**
 * Loads the files afresh (a reload re-reads them, as keepalived's does) and
 * makes the result the context checks with these files use. Returns the
 * problem instead when a file cannot be loaded; the previous context stays.
 */
export function prepareTlsContext(f: TlsClientFiles): TlsLoadProblem | null {
  try {
    remember(keyOf(f), build(f));
    return null;
  } catch (e) {
    if (e instanceof Error && 'setting' in e) return e as unknown as TlsLoadProblem;
    return { setting: 'key', message: reason(e) };
  }
}

/** The shared context for these files, loaded on first use when no apply prepared it. */
export function tlsContextFor(f: TlsClientFiles): SecureContext {
  const k = keyOf(f);
  let ctx = contexts.get(k);
  if (!ctx) {
    ctx = build(f);
    remember(k, ctx);
  }
  return ctx;
}
