import { useState } from 'preact/hooks';
import { call, collect, type ApiClient, type ApiError, type Tenant } from '../api';
import { href } from '../router';
import { asApiError, ErrorNote, Loading, useLoad, useSession, When } from '../ui';

type Backlog = { eventsNotDispatched: number; eventsWaitingForWorker: number; deliveriesWaitingForWorker: number };

const waiting = (b: Backlog): number => b.eventsNotDispatched + b.eventsWaitingForWorker + b.deliveriesWaitingForWorker;

async function backlogOf(client: ApiClient, id: string): Promise<Backlog> {
  return (await call(client.GET('/v1/tenants/{id}/stats', { params: { path: { id } } }))).backlog;
}

/**
 * The operator's tenant list: each tenant's weight and what it has waiting now, the largest
 * backlog first, so a tenant in the middle of a burst is at the top (docs/architecture.md, *Fairness*).
 */
export function TenantsPage() {
  const { client } = useSession();
  const list = useLoad(async () => {
    const tenants = await collect((cursor) => call(client.GET('/v1/tenants', { params: { query: { cursor, limit: 100 } } })), 1000);
    const backlogs = new Map<string, Backlog>();
    // A few at a time: each is a handful of indexed counts.
    for (let i = 0; i < tenants.length; i += 8) await Promise.all(tenants.slice(i, i + 8).map(async (t) => backlogs.set(t.id, await backlogOf(client, t.id))));
    return tenants
      .map((t) => ({ tenant: t, backlog: backlogs.get(t.id)! }))
      .sort((a, b) => waiting(b.backlog) - waiting(a.backlog) || a.tenant.id.localeCompare(b.tenant.id));
  }, []);

  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      <p class="muted">
        Each tenant's share under contention is its weight: while tenants are backlogged, one of weight 4 gets about four times the deliveries per second of one
        of weight 1. The tenant with the most waiting comes first.
      </p>
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <Loading what="tenants" />}
      {list.data && (
        <table class="list" aria-label="Tenants">
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Weight</th>
              <th scope="col">Events not dispatched</th>
              <th scope="col">Events waiting for a worker</th>
              <th scope="col">Deliveries waiting for a worker</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map(({ tenant, backlog }) => (
              <tr key={tenant.id} data-id={tenant.id}>
                <td data-label="Tenant">
                  <a href={href(`tenants/${encodeURIComponent(tenant.id)}`)}>
                    {tenant.name && tenant.name !== tenant.id ? `${tenant.name} (${tenant.id})` : tenant.id}
                  </a>
                </td>
                <td data-label="Weight">{tenant.weight}</td>
                <td data-label="Events not dispatched">{backlog.eventsNotDispatched}</td>
                <td data-label="Events waiting for a worker">{backlog.eventsWaitingForWorker}</td>
                <td data-label="Deliveries waiting for a worker">{backlog.deliveriesWaitingForWorker}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && (
        <button type="button" onClick={() => list.reload()}>
          Refresh
        </button>
      )}
    </section>
  );
}

/** One tenant: its weight (editable) and its backlog now. */
export function TenantPage({ id }: { id: string }) {
  const { client } = useSession();
  const loaded = useLoad(async () => {
    const [tenant, backlog] = await Promise.all([call(client.GET('/v1/tenants/{id}', { params: { path: { id } } })), backlogOf(client, id)]);
    return { tenant, backlog };
  }, [id]);
  const [weight, setWeight] = useState<string>();
  const [saved, setSaved] = useState<Tenant>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const tenant = saved ?? loaded.data?.tenant;

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Sent as typed: the API says what is wrong with it (an integer from 1 to 100).
      setSaved(await call(client.PATCH('/v1/tenants/{id}', { params: { path: { id } }, body: { weight: Number(weight) } })));
      setWeight(undefined);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="tenant-title">
      <p>
        <a href={href('tenants')}>← Tenants</a>
      </p>
      <h1 id="tenant-title">Tenant {id}</h1>
      <ErrorNote error={loaded.error} />
      {loaded.loading && !loaded.data && <Loading what="the tenant" />}
      {tenant && loaded.data && (
        <>
          <dl class="facts card">
            <dt>Name</dt>
            <dd>{tenant.name}</dd>
            <dt>Created</dt>
            <dd>
              <When iso={tenant.createdAt} />
            </dd>
            <dt>Events not dispatched</dt>
            <dd>{loaded.data.backlog.eventsNotDispatched}</dd>
            <dt>Events waiting for a worker</dt>
            <dd>{loaded.data.backlog.eventsWaitingForWorker}</dd>
            <dt>Deliveries waiting for a worker</dt>
            <dd>{loaded.data.backlog.deliveriesWaitingForWorker}</dd>
          </dl>
          <form class="card" aria-label="Set the weight" onSubmit={save}>
            <label for="tenant-weight">Weight</label>
            <input
              id="tenant-weight"
              type="number"
              min={1}
              max={100}
              step={1}
              required
              value={weight ?? String(tenant.weight)}
              onInput={(e) => setWeight((e.target as HTMLInputElement).value)}
              aria-describedby="tenant-weight-help"
            />
            <p id="tenant-weight-help" class="muted">
              1 to 100 (default 1). Under contention a tenant gets deliveries in proportion to its weight; alone, it gets all the capacity whatever its weight.
            </p>
            <ErrorNote error={error} />
            {saved && !error && (
              <div class="note success" role="status">
                Weight saved: {saved.weight}.
              </div>
            )}
            <button type="submit" disabled={busy}>
              {busy ? 'Saving…' : 'Save weight'}
            </button>
          </form>
        </>
      )}
    </section>
  );
}
