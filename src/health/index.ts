// Public surface of the health checker for the director and the API.

export type { CheckerOptions, NotifyScript, TargetConfig, TargetState } from './checker.js';
export { DEFAULT_CONCURRENCY, HealthChecker } from './checker.js';
export type { Clock } from './clock.js';
export { realClock } from './clock.js';
export { parseStatusCodes } from './http-response.js';
export { probe } from './probes/index.js';
export type { CheckStatus, ProbeFn } from './scheduler.js';
export type { TlsClientFiles, TlsLoadProblem } from './tls-context.js';
export { prepareTlsContext } from './tls-context.js';
export * from './types.js';
