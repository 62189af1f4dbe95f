// The shape of the control API's route table: each row carries what the
// server dispatches on and what /v1/openapi.json describes, so the two cannot
// drift apart.
import type { Director } from '../director/director.js';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** A JSON Schema fragment, as OpenAPI 3.1 embeds it. */
export type Schema = { readonly [k: string]: Json };

export interface Reply {
  readonly status: number;
  readonly body: Json;
  /** A plain-text form of the answer (one line), for routes that offer one. */
  readonly text?: string;
  /** Content type of `text` when it is not text/plain (metrics). */
  readonly contentType?: string;
}

export class BadRequest extends Error {}

export interface RouteContext {
  readonly director: Director;
  readonly vrrp: () => Json;
  readonly startedAt: Date;
  readonly configFile: string;
  /** Why this data plane was chosen (shown in status). */
  readonly planeReason?: string;
  /** The process's one reload, the same that SIGHUP runs. */
  readonly reload: () => Promise<ReloadReport>;
  /** Prometheus exposition, when the server has a registry. */
  readonly metrics?: () => Promise<{ readonly contentType: string; readonly text: string }>;
}

/** What a reload did: data-plane operations, their errors, config warnings. */
export interface ReloadReport {
  readonly operations: number;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/** The names of the `{…}` segments of a path template. */
export type PathParams<P extends string> = P extends `${string}{${infer N}}${infer Rest}`
  ? N | PathParams<Rest>
  : never;

export interface Request<P extends string> {
  readonly params: Readonly<Record<PathParams<P>, string>>;
  readonly body: Readonly<Record<string, unknown>> | null;
}

/**
 * How a route answers: JSON only; JSON, or one line of text when the client
 * sends `Accept: text/plain`; or text only.
 */
export type Produces = 'json' | 'json-or-text' | 'text';

export interface Route<P extends string = string> {
  readonly method: 'GET' | 'POST';
  readonly path: P;
  readonly summary: string;
  /** Descriptions of the path parameters. */
  readonly params?: Readonly<Record<PathParams<P>, string>>;
  /** Schema of the JSON request body, when the route takes one. */
  readonly requestBody?: Schema;
  /** Schema of the 200 answer's JSON body. */
  readonly response: Schema;
  readonly produces?: Produces;
  // A method signature: a row for one path stands in the table of all paths.
  handler(ctx: RouteContext, req: Request<P>): Reply | Promise<Reply>;
}

/** Keeps the path's literal type so that handlers see their parameters by name. */
export function defineRoute<P extends string>(r: Route<P>): Route<P> {
  return r;
}

export const ok = (body: Json, text?: string): Reply =>
  text === undefined ? { status: 200, body } : { status: 200, body, text };
export const fail = (status: number, error: string): Reply => ({ status, body: { error }, text: error });

/** Matches a concrete path against a template; the parameters, decoded, or null. */
export function matchPath(template: string, path: string): Record<string, string> | null {
  const t = template.split('/').filter(Boolean);
  const p = path.split('?')[0]!.split('/').filter(Boolean);
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]!;
    if (seg.startsWith('{') && seg.endsWith('}')) {
      try {
        params[seg.slice(1, -1)] = decodeURIComponent(p[i]!);
      } catch {
        return null;
      }
    } else if (seg !== p[i]) return null;
  }
  return params;
}
