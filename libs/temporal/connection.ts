import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config/config';
import { NO_TRACING, type Tracing } from '../observability/tracing';
import { tracingClientInterceptors } from './tracing';

/** TLS and API-key settings for a real cluster or Temporal Cloud; plain for the dev server. */
function tlsOptions(config: Config): ConnectionOptions['tls'] {
  const tls = config.temporal.tls;
  if (!tls) return undefined;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.caPath ? readFileSync(tls.caPath) : undefined,
    clientCertPair: tls.certPath && tls.keyPath ? { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } : undefined,
  };
}

/**
 * A Temporal client. `lazy` (the API) connects on first use, so the process starts while
 * Temporal is still coming up. With tracing on, the workflows it starts and signals continue the
 * caller's trace.
 */
export async function connectClient(config: Config, opts: { lazy?: boolean; tracing?: Tracing } = {}): Promise<Client> {
  const connect = opts.lazy ? (o: ConnectionOptions) => Promise.resolve(Connection.lazy(o)) : (o: ConnectionOptions) => Connection.connect(o);
  const connection = await connect({
    address: config.temporal.address,
    tls: tlsOptions(config),
    apiKey: config.temporal.apiKey,
    metadata: config.temporal.apiKey ? { 'temporal-namespace': config.temporal.namespace } : undefined,
  });
  return new Client({ connection, namespace: config.temporal.namespace, interceptors: { workflow: tracingClientInterceptors(opts.tracing ?? NO_TRACING) } });
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: config.temporal.address,
    tls: tlsOptions(config) as NativeConnectionOptions['tls'],
    apiKey: config.temporal.apiKey,
    metadata: config.temporal.apiKey ? { 'temporal-namespace': config.temporal.namespace } : undefined,
  };
  return NativeConnection.connect(options);
}
