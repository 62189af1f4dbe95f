// Public entry points of the configuration layer.
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConfigBuilder } from './build/config.js';
import { type Diagnostic, DiagnosticSink } from './diagnostics.js';
import type { FloatlbConfig } from './model.js';
import { TreeBuilder } from './parser.js';
import { Preprocessor, type SourceAccess } from './preprocess.js';
import type { Environment, TableObserver } from './values.js';

export { keywordRow, renderCompatMarkdown } from './compat.js';
export type { Diagnostic, Severity } from './diagnostics.js';
export { formatDiagnostic } from './diagnostics.js';
export type * from './model.js';
export { FLOATLB_CONFIG_ID } from './preprocess.js';

export interface ConfigResult {
  /** null only when nothing could be read at all. */
  config: FloatlbConfig | null;
  diagnostics: Diagnostic[];
  /** True when there are no errors (warnings allowed). */
  ok: boolean;
}

export interface ParseOptions {
  /** Name used in messages and as the base for relative includes. */
  file?: string;
  /** Matches @id lines; defaults to the first label of the host name, as keepalived does. */
  configId?: string;
  /** Reads included files; the default reads the file system. */
  readFile?: (path: string) => string;
  /** Lists a directory for wildcard includes; the default reads the file system. */
  listDir?: (dir: string) => string[] | null;
  /** Sees each keyword table the parser dispatches through (the keyword-table test uses it). */
  observeTables?: TableObserver;
}

export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

const fsAccess: SourceAccess = {
  readFile: (p) => readFileSync(p, 'utf8'),
  listDir: (d) => {
    try {
      return readdirSync(d);
    } catch {
      return null;
    }
  },
};

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The machine's view, used when reading from the file system: keepalived checks scripts too. */
const hostEnvironment: Environment = {
  commandExists: (cmd) =>
    cmd.includes('/')
      ? executable(cmd)
      : (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
          .split(delimiter)
          .some((d) => executable(join(d, cmd))),
};

/** Wires preprocessor -> tree builder -> model builder so lines stream through. */
function pipeline(
  sink: DiagnosticSink,
  configId: string,
  access: SourceAccess,
  env: Environment | null,
  observer: TableObserver | null = null,
) {
  const model = new ConfigBuilder(sink, env, observer);
  const tree = new TreeBuilder(sink, (n) => model.add(n));
  const pre = new Preprocessor((tokens) => tree.line(tokens), access, configId, sink);
  const finish = (): ConfigResult => {
    tree.finish();
    const config = model.finish();
    const diagnostics = sink.finish();
    return { config, diagnostics, ok: !diagnostics.some((d) => d.severity === 'error') };
  };
  return { pre, finish };
}

export function parseConfigText(text: string, opts: ParseOptions = {}): ConfigResult {
  const file = opts.file ?? '<config>';
  const sink = new DiagnosticSink();
  const access: SourceAccess = opts.readFile
    ? { readFile: opts.readFile, ...(opts.listDir ? { listDir: opts.listDir } : {}) }
    : fsAccess;
  const { pre, finish } = pipeline(
    sink,
    opts.configId ?? defaultConfigId(),
    access,
    opts.readFile ? null : hostEnvironment,
    opts.observeTables ?? null,
  );
  pre.processMain(text, file);
  return finish();
}

export function loadConfigSync(path: string, opts: { configId?: string } = {}): ConfigResult {
  const sink = new DiagnosticSink();
  const { pre, finish } = pipeline(sink, opts.configId ?? defaultConfigId(), fsAccess, hostEnvironment);
  if (!pre.processFile(path, null)) {
    return { config: null, diagnostics: sink.finish(), ok: false };
  }
  return finish();
}

export async function loadConfig(path: string, opts: { configId?: string } = {}): Promise<ConfigResult> {
  return loadConfigSync(path, opts);
}
