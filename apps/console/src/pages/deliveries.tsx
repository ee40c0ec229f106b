import { useState } from 'preact/hooks';
import { call, collect, compact, DELIVERY_STATUSES, type DeliveryStatus, type Subscription } from '../api';
import { href, navigate } from '../router';
import { ErrorNote, isoToLocal, Loading, localToIso, shortId, StatusBadge, tenantQuery, useLoad, useSession, When } from '../ui';

const FILTERS = ['subscriptionId', 'eventType', 'status', 'since', 'until'] as const;

/** The webhooks, for filter pickers and for naming a delivery's webhook. */
export function useWebhookNames(): Map<string, Subscription> {
  const session = useSession();
  const subs = useLoad(
    () => collect((cursor) => call(session.client.GET('/v1/subscriptions', { params: { query: { ...tenantQuery(session), cursor, limit: 100 } } })), 1000),
    [session.tenantId],
  );
  return new Map((subs.data ?? []).map((s) => [s.id, s]));
}

export const webhookName = (subs: Map<string, Subscription>, id: string): string => {
  const s = subs.get(id);
  return s ? s.description || s.url : shortId(id);
};

/** The delivery log, newest first: filters and the cursor live in the URL, so a view can be shared. */
export function DeliveriesPage({ query }: { query: URLSearchParams }) {
  const session = useSession();
  const subs = useWebhookNames();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const cursor = query.get('cursor');
  const page = useLoad(
    () =>
      call(
        session.client.GET('/v1/deliveries', {
          params: {
            query: {
              ...tenantQuery(session),
              ...compact({ ...filters, cursor }),
              status: (filters.status || undefined) as DeliveryStatus | undefined,
              limit: 25,
            },
          },
        }),
      ),
    [query.toString(), session.tenantId],
  );
  const [draft, setDraft] = useState(filters);
  const apply = (e: Event): void => {
    e.preventDefault();
    navigate(href('deliveries', { ...draft }));
  };

  return (
    <section aria-labelledby="deliveries-title">
      <h1 id="deliveries-title">Deliveries</h1>
      <p class="muted">One delivery per event and webhook; each try is an attempt. Newest first.</p>
      <form class="card filters" onSubmit={apply} aria-label="Filter deliveries">
        <div>
          <label for="d-webhook">Webhook</label>
          <select id="d-webhook" value={draft.subscriptionId} onChange={(e) => setDraft({ ...draft, subscriptionId: (e.target as HTMLSelectElement).value })}>
            <option value="">All webhooks</option>
            {[...subs.values()].map((s) => (
              <option key={s.id} value={s.id}>
                {s.description || s.url}
              </option>
            ))}
            {draft.subscriptionId && !subs.has(draft.subscriptionId) && <option value={draft.subscriptionId}>{draft.subscriptionId}</option>}
          </select>
        </div>
        <div>
          <label for="d-type">Event type</label>
          <select id="d-type" value={draft.eventType} onChange={(e) => setDraft({ ...draft, eventType: (e.target as HTMLSelectElement).value })}>
            <option value="">All event types</option>
            {session.eventTypes.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="d-status">Status</label>
          <select id="d-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: (e.target as HTMLSelectElement).value })}>
            <option value="">Any status</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', '-')}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="d-since">From</label>
          <input
            id="d-since"
            type="datetime-local"
            value={isoToLocal(draft.since)}
            onInput={(e) => setDraft({ ...draft, since: localToIso((e.target as HTMLInputElement).value) ?? '' })}
          />
        </div>
        <div>
          <label for="d-until">To</label>
          <input
            id="d-until"
            type="datetime-local"
            value={isoToLocal(draft.until)}
            onInput={(e) => setDraft({ ...draft, until: localToIso((e.target as HTMLInputElement).value) ?? '' })}
          />
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <a class="button" href={href('deliveries')} onClick={() => setDraft(Object.fromEntries(FILTERS.map((k) => [k, ''])) as typeof filters)}>
            Clear
          </a>
        </div>
      </form>
      <ErrorNote error={page.error} />
      {page.loading && !page.data && <Loading what="deliveries" />}
      {page.data && page.data.data.length === 0 && <p class="empty card">No deliveries match.</p>}
      {page.data && page.data.data.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="Deliveries">
            <thead>
              <tr>
                <th scope="col">Delivery</th>
                <th scope="col">Webhook</th>
                <th scope="col">Event type</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last response</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {page.data.data.map((d) => (
                <tr key={d.id} data-id={d.id}>
                  <td data-label="Delivery">
                    <a href={href(`deliveries/${d.id}`)}>
                      <code>{d.id}</code>
                    </a>
                  </td>
                  <td data-label="Webhook">{webhookName(subs, d.subscriptionId)}</td>
                  <td data-label="Event type">
                    <code>{d.eventType}</code>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={d.status} />
                  </td>
                  <td data-label="Attempts">{d.attemptCount}</td>
                  <td data-label="Last response">{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')}</td>
                  <td data-label="Next attempt">
                    <When iso={d.nextAttemptAt} rel />
                  </td>
                  <td data-label="Created">
                    <When iso={d.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && (
          <button type="button" onClick={() => history.back()}>
            Previous page
          </button>
        )}
        {cursor && (
          <a class="button" href={href('deliveries', filters)}>
            Newest
          </a>
        )}
        {page.data?.nextCursor && (
          <a class="button" href={href('deliveries', { ...filters, cursor: page.data.nextCursor })}>
            Next page
          </a>
        )}
      </nav>
    </section>
  );
}
