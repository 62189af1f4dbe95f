// The control API's OpenAPI description, served at /v1/openapi.json.
const error = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };
const ipParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const vip = ipParam('vip', 'The LB IP (VIP), IPv4 or IPv6.');
const node = ipParam('node', "A real server's address (the node's own IP).");
const responses = (ok: string) => ({
  200: { description: ok },
  400: {
    description: 'Malformed request; nothing changed.',
    content: { 'application/json': { schema: error } },
  },
  401: { description: 'Missing or wrong bearer token (TCP listener).' },
  403: { description: 'Caller is neither root nor in an allowed group (unix socket).' },
  404: { description: 'Unknown VIP, node or virtual server.' },
});
const realServerBody = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['virtualServer', 'server'],
        properties: {
          virtualServer: { type: 'string', example: 'tcp/10.0.0.200:80' },
          server: { type: 'string', example: '10.0.0.11:80' },
          weight: { type: ['integer', 'null'], minimum: 0, maximum: 65535 },
        },
      },
    },
  },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'floatlb control API', version: '1' },
  paths: {
    '/v1/status': {
      get: { summary: 'Director status: data plane, pools, counters, VRRP.', responses: responses('Status') },
    },
    '/v1/services': {
      get: {
        summary: 'Virtual services as the kernel holds them, with stats.',
        responses: responses('Services'),
      },
    },
    '/v1/pools': {
      get: { summary: 'Every pool with its members, links and health.', responses: responses('Pools') },
    },
    '/v1/pools/{vip}': {
      get: { parameters: [vip], summary: 'Pools answering on one VIP.', responses: responses('Pools') },
    },
    '/v1/pools/{vip}/members/{node}': {
      get: {
        parameters: [vip, node],
        summary: "A member's state: running (linked, healthy), abnormal, or stopped (unlinked).",
        responses: responses('Member state'),
      },
    },
    '/v1/pools/{vip}/members/{node}/link': {
      post: {
        parameters: [vip, node],
        summary: 'Make the node carry weight; in an active/standby pool every other member is unlinked.',
        responses: responses('Linked'),
      },
    },
    '/v1/pools/{vip}/members/{node}/unlink': {
      post: {
        parameters: [vip, node],
        summary: 'Hold the node at weight 0.',
        responses: responses('Unlinked'),
      },
    },
    '/v1/realservers/drain': {
      post: {
        requestBody: realServerBody,
        summary: 'Weight 0 until undrained.',
        responses: responses('Drained'),
      },
    },
    '/v1/realservers/undrain': {
      post: { requestBody: realServerBody, summary: 'End a drain.', responses: responses('Undrained') },
    },
    '/v1/realservers/weight': {
      post: {
        requestBody: realServerBody,
        summary: 'Override the weight (null clears it).',
        responses: responses('Weight set'),
      },
    },
    '/v1/reload': {
      post: {
        summary: 'Re-read the config and apply only the difference.',
        responses: responses('Reloaded'),
      },
    },
    '/v1/vrrp': { get: { summary: 'VRRP instances and their state.', responses: responses('VRRP') } },
    '/metrics': { get: { summary: 'Prometheus metrics.', responses: { 200: { description: 'Metrics' } } } },
  },
} as const;
