// /v1/openapi.json, generated from the route table (routes.ts).
import { errorSchema } from './schemas.js';
import type { Json, Route, Schema } from './table.js';

const errorContent = (produces: Route['produces']): Schema => ({
  'application/json': { schema: errorSchema },
  ...(produces && produces !== 'json' ? { 'text/plain': { schema: { type: 'string' } } } : {}),
});

function operation(r: Route): Schema {
  const params = Object.entries<string>(r.params ?? {}).map(([name, description]) => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string' },
  }));
  const content: Record<string, Json> = {};
  if (r.produces !== 'text') content['application/json'] = { schema: r.response };
  if (r.produces === 'text' || r.produces === 'json-or-text')
    content['text/plain'] = { schema: { type: 'string' } };
  const errors = errorContent(r.produces);
  return {
    summary: r.summary,
    ...(params.length ? { parameters: params } : {}),
    ...(r.requestBody
      ? { requestBody: { required: true, content: { 'application/json': { schema: r.requestBody } } } }
      : {}),
    responses: {
      200: { description: r.summary, content },
      400: { description: 'Malformed request; nothing changed.', content: errors },
      401: { description: 'Missing or wrong bearer token (TCP listener).', content: errors },
      403: { description: 'Caller is neither root nor in an allowed group (unix socket).', content: errors },
      404: { description: 'Unknown VIP, node or virtual server.', content: errors },
    },
  };
}

export function openapi(routes: readonly Route[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = operation(r);
  }
  return { openapi: '3.1.0', info: { title: 'floatlb control API', version: '1' }, paths };
}
