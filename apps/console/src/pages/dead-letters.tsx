import { useState } from 'preact/hooks';
import { call, compact, type ApiError } from '../api';
import { href, navigate } from '../router';
import { ActionButton, asApiError, ConfirmButton, ErrorNote, Json, Loading, localToIso, tenantQuery, useLoad, useSession, When } from '../ui';
import { useWebhookNames, webhookName } from './deliveries';

/**
 * Deliveries whose retry schedule ran out. Retry gives the delivery one `manual` attempt (success
 * removes the dead letter); discard drops the dead letter and keeps the delivery's log.
 */
export function DeadLettersPage({ query }: { query: URLSearchParams }) {
  const session = useSession();
  const { client } = session;
  const subs = useWebhookNames();
  const subscriptionId = query.get('subscriptionId') ?? '';
  const cursor = query.get('cursor');
  const list = useLoad(
    () => call(client.GET('/v1/dead-letters', { params: { query: { ...tenantQuery(session), ...compact({ subscriptionId, cursor }), limit: 25 } } })),
    [query.toString(), session.tenantId],
  );
  const [notice, setNotice] = useState<string>();
  const [bulk, setBulk] = useState({ subscriptionId: '', since: '', until: '' });
  const [bulkError, setBulkError] = useState<ApiError>();
  const [bulkBusy, setBulkBusy] = useState(false);

  const bulkRetry = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBulkBusy(true);
    setBulkError(undefined);
    try {
      const body = {
        ...(bulk.subscriptionId ? { subscriptionId: bulk.subscriptionId } : {}),
        ...(bulk.since ? { since: localToIso(bulk.since) } : {}),
        ...(bulk.until ? { until: localToIso(bulk.until) } : {}),
        ...tenantQuery(session),
      };
      const r = await call(client.POST('/v1/dead-letters/retry', { body }));
      setNotice(`${r.restarted} dead letter${r.restarted === 1 ? '' : 's'} retried${r.remaining ? `; ${r.remaining} left: retry again for the rest` : ''}.`);
      list.reload();
    } catch (err) {
      setBulkError(asApiError(err));
    } finally {
      setBulkBusy(false);
    }
  };

  return (
    <section aria-labelledby="dl-title">
      <h1 id="dl-title">Dead letters</h1>
      <p class="muted">Deliveries that failed every scheduled attempt. They are kept 7 days after the last failure.</p>
      <form class="card filters" aria-label="Filter dead letters" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="dl-webhook">Webhook</label>
          <select
            id="dl-webhook"
            value={subscriptionId}
            onChange={(e) => navigate(href('dead-letters', { subscriptionId: (e.target as HTMLSelectElement).value }))}
          >
            <option value="">All webhooks</option>
            {[...subs.values()].map((s) => (
              <option key={s.id} value={s.id}>
                {s.description || s.url}
              </option>
            ))}
          </select>
        </div>
      </form>
      {notice && (
        <div class="note success" role="status">
          {notice}
        </div>
      )}
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <Loading what="dead letters" />}
      {list.data && list.data.data.length === 0 && <p class="empty card">No dead letters. Every delivery got through or is still being tried.</p>}
      {list.data && list.data.data.length > 0 && (
        <ul class="dead-letters" aria-label="Dead letters">
          {list.data.data.map((l) => (
            <li key={l.id} class="card" data-id={l.id}>
              <dl class="facts">
                <div>
                  <dt>Dead letter</dt>
                  <dd>
                    <code>{l.id}</code>
                  </dd>
                </div>
                <div>
                  <dt>Webhook</dt>
                  <dd>{webhookName(subs, l.subscriptionId)}</dd>
                </div>
                <div>
                  <dt>Event type</dt>
                  <dd>
                    <code>{l.eventType}</code>
                  </dd>
                </div>
                <div>
                  <dt>Reason</dt>
                  <dd>{l.reason}</dd>
                </div>
                <div>
                  <dt>Attempts</dt>
                  <dd>{l.attemptCount}</dd>
                </div>
                <div>
                  <dt>Dead-lettered</dt>
                  <dd>
                    <When iso={l.createdAt} />
                  </dd>
                </div>
                <div>
                  <dt>Expires</dt>
                  <dd>
                    <When iso={l.expiresAt} />
                  </dd>
                </div>
              </dl>
              <details>
                <summary>Payload as last sent</summary>
                <Json value={l.payload} label={`Payload of ${l.id}`} />
              </details>
              <div class="actions">
                <a class="button" href={href(`deliveries/${l.deliveryId}`)} aria-label={`Delivery of ${l.id}`}>
                  Delivery
                </a>
                <ActionButton
                  label="Retry"
                  busyLabel="Retrying…"
                  ariaLabel={`Retry ${l.id}`}
                  onClick={async () => {
                    await call(client.POST('/v1/dead-letters/{id}/retry', { params: { path: { id: l.id } } }));
                    setNotice(`Retrying ${l.id}: its delivery gets one manual attempt.`);
                    navigate(href(`deliveries/${l.deliveryId}`));
                  }}
                />
                <ConfirmButton
                  label="Discard"
                  buttonLabel={`Discard ${l.id}`}
                  title="Discard this dead letter?"
                  confirmLabel="Discard"
                  danger
                  onConfirm={async () => {
                    await call(client.DELETE('/v1/dead-letters/{id}', { params: { path: { id: l.id } } }));
                    setNotice(`${l.id} discarded.`);
                    list.reload();
                  }}
                >
                  <p>It will not be retried. The delivery and its attempts stay in the log.</p>
                </ConfirmButton>
              </div>
            </li>
          ))}
        </ul>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && (
          <button type="button" onClick={() => history.back()}>
            Previous page
          </button>
        )}
        {list.data?.nextCursor && (
          <a class="button" href={href('dead-letters', { subscriptionId, cursor: list.data.nextCursor })}>
            Next page
          </a>
        )}
      </nav>

      <form class="card form" onSubmit={(e) => void bulkRetry(e)} aria-labelledby="bulk-title">
        <h2 id="bulk-title">Retry many</h2>
        <p class="muted">Retries every dead letter matching these (at most 1000 per run), e.g. after an endpoint outage.</p>
        <label for="bulk-webhook">Webhook</label>
        <select id="bulk-webhook" value={bulk.subscriptionId} onChange={(e) => setBulk({ ...bulk, subscriptionId: (e.target as HTMLSelectElement).value })}>
          <option value="">All webhooks</option>
          {[...subs.values()].map((s) => (
            <option key={s.id} value={s.id}>
              {s.description || s.url}
            </option>
          ))}
        </select>
        <label for="bulk-since">Dead-lettered from</label>
        <input id="bulk-since" type="datetime-local" value={bulk.since} onInput={(e) => setBulk({ ...bulk, since: (e.target as HTMLInputElement).value })} />
        <label for="bulk-until">Dead-lettered until</label>
        <input id="bulk-until" type="datetime-local" value={bulk.until} onInput={(e) => setBulk({ ...bulk, until: (e.target as HTMLInputElement).value })} />
        <ErrorNote error={bulkError} />
        <div class="actions">
          <button type="submit" class="primary" disabled={bulkBusy}>
            {bulkBusy ? 'Retrying…' : 'Retry matching dead letters'}
          </button>
        </div>
      </form>
    </section>
  );
}
