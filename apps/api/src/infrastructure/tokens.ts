/** Injection tokens of the API's shared infrastructure. */
export const CONFIG = Symbol('herald:config');
export const TEMPORAL_CLIENT = Symbol('herald:temporal-client');
/** The repositories (libs/db/repositories) over the API's DataSource. */
export const STORES = Symbol('herald:stores');
/** Signs and verifies portal-session tokens (apps/api/src/common/portal-token.ts). */
export const PORTAL_TOKENS = Symbol('herald:portal-tokens');
/** The API's dispatcher (libs/temporal/dispatcher.ts): ingest wakes it after each commit. */
export const DISPATCHER = Symbol('herald:dispatcher');
/** The API's tracing (libs/observability/tracing.ts; NO_TRACING when no OTLP endpoint is set). */
export const TRACING = Symbol('herald:tracing');
/** Ingest spans waiting for their events' dispatch (PendingTraces). */
export const PENDING_TRACES = Symbol('herald:pending-traces');
