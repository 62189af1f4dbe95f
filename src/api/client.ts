// A client for the control API, over the unix socket or TCP with a token.
import { Agent, request } from 'undici';

export const DEFAULT_API_SOCKET = '/run/floatlb/api.sock';

export interface ApiEndpoint {
  /** Unix socket path, or an http(s)://host:port URL. */
  readonly target: string;
  readonly token?: string;
  readonly timeoutMs?: number;
}

export class ApiUnreachable extends Error {
  constructor(target: string, cause: Error) {
    super(`cannot reach the director at ${target}: ${cause.message}`);
    this.name = 'ApiUnreachable';
  }
}

export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A client that keeps its connection to the director between calls, for a
 * long-lived caller; callApi() is one call on a fresh connection (the CLI).
 */
export class ApiClient {
  private readonly dispatcher: Agent;
  private readonly isUrl: boolean;

  constructor(private readonly ep: ApiEndpoint) {
    this.isUrl = /^https?:\/\//.test(ep.target);
    const timeout = ep.timeoutMs ?? 10_000;
    this.dispatcher = new Agent({
      ...(this.isUrl ? {} : { connect: { socketPath: ep.target } }),
      connectTimeout: timeout,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiReply> {
    const ep = this.ep;
    try {
      const url = this.isUrl ? new URL(path, ep.target).toString() : `http://localhost${path}`;
      const res = await request(url, {
        method,
        dispatcher: this.dispatcher,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(ep.token ? { authorization: `Bearer ${ep.token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // /metrics and errors from proxies are not JSON
      }
      return { status: res.statusCode, body: parsed };
    } catch (e) {
      throw new ApiUnreachable(ep.target, e as Error);
    }
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

export async function callApi(
  ep: ApiEndpoint,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<ApiReply> {
  const client = new ApiClient(ep);
  try {
    return await client.call(method, path, body);
  } finally {
    await client.close();
  }
}
