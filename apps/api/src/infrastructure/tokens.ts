/** Injection tokens of the API's shared infrastructure. */
export const CONFIG = Symbol('herald:config');
export const TEMPORAL_CLIENT = Symbol('herald:temporal-client');
/** The repositories (libs/db/repositories) over the API's DataSource. */
export const STORES = Symbol('herald:stores');
