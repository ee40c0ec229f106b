import { useEffect, useState } from 'preact/hooks';
import { call, FINAL_STATUSES, type DeliveryDetail } from '../api';
import { bodyFor, headersFor } from '../catalog';
import { href } from '../router';
import { ActionButton, CodeBadge, ErrorNote, Json, Loading, relative, StatusBadge, useLoad, useSession, When } from '../ui';

/** While a delivery runs its page follows it. */
const REFRESH_MS = 2_000;

export function DeliveryPage({ id }: { id: string }) {
  const { client, who } = useSession();
  const delivery = useLoad(() => call(client.GET('/v1/deliveries/{id}', { params: { path: { id: id } } })), [id]);
  const d: DeliveryDetail | undefined = delivery.data;
  const event = useLoad(() => (d ? call(client.GET('/v1/events/{id}', { params: { path: { id: d.eventId } } })) : Promise.resolve(undefined)), [d?.eventId]);
  const sub = useLoad(
    () => (d ? call(client.GET('/v1/subscriptions/{id}', { params: { path: { id: d.subscriptionId } } })) : Promise.resolve(undefined)),
    [d?.subscriptionId],
  );
  const [retried, setRetried] = useState<string>();

  const running = d && !FINAL_STATUSES.includes(d.status);
  useEffect(() => {
    if (!running) return;
    const t = setTimeout(delivery.reload, REFRESH_MS);
    return () => clearTimeout(t);
  }, [d, running]);

  if (delivery.error) {
    return (
      <section>
        <h1>Delivery</h1>
        <ErrorNote error={delivery.error} />
        <p>
          <a href={href('deliveries')}>Back to the deliveries</a>
        </p>
      </section>
    );
  }
  if (!d) return <Loading what="the delivery" />;
  const nextAttemptAt = d.live?.nextAttemptAt ?? d.nextAttemptAt;
  const last = d.attempts[d.attempts.length - 1];

  return (
    <section aria-labelledby="delivery-title">
      <p>
        <a href={href('deliveries')}>← Deliveries</a>
      </p>
      <h1 id="delivery-title">
        Delivery <code>{d.id}</code>
      </h1>
      <div class="card">
        <dl class="facts">
          <div>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={d.status} />
            </dd>
          </div>
          <div>
            <dt>Webhook</dt>
            <dd>{sub.data ? <a href={href(`webhooks/${d.subscriptionId}`)}>{sub.data.description || sub.data.url}</a> : <code>{d.subscriptionId}</code>}</dd>
          </div>
          <div>
            <dt>Event</dt>
            <dd>
              <code>{d.eventId}</code> (<code>{d.eventType}</code>
              {d.templateId && (
                <>
                  , template <code>{d.templateId}</code>
                </>
              )}
              )
            </dd>
          </div>
          {d.tenantId && (
            <div>
              <dt>Tenant</dt>
              <dd>
                <code>{d.tenantId}</code>
              </dd>
            </div>
          )}
          <div>
            <dt>Attempts</dt>
            <dd>{d.attemptCount}</dd>
          </div>
          <div>
            <dt>Next attempt</dt>
            <dd class="next-attempt">
              {nextAttemptAt && running ? (
                <>
                  <When iso={nextAttemptAt} /> <span class="muted">({relative(nextAttemptAt)})</span>
                </>
              ) : (
                <span class="muted">{running ? 'now' : 'none: the delivery has finished'}</span>
              )}
            </dd>
          </div>
          {d.lastError && (
            <div>
              <dt>Last error</dt>
              <dd>{d.lastError}</dd>
            </div>
          )}
          <div>
            <dt>Created</dt>
            <dd>
              <When iso={d.createdAt} />
            </dd>
          </div>
          {d.completedAt && (
            <div>
              <dt>Finished</dt>
              <dd>
                <When iso={d.completedAt} />
              </dd>
            </div>
          )}
        </dl>
        <div class="actions">
          <ActionButton
            label={running ? 'Retry now' : 'Retry'}
            busyLabel="Retrying…"
            onClick={async () => {
              const r = await call(client.POST('/v1/deliveries/{id}/retry', { params: { path: { id: d.id } } }));
              setRetried(r.mode === 'signalled' ? 'The waiting attempt runs now.' : 'A manual attempt is on its way.');
              delivery.reload();
            }}
          />
          {who.kind === 'admin' && d.temporalUiUrl && (
            <a class="button" href={d.temporalUiUrl} target="_blank" rel="noopener noreferrer">
              Open in the Temporal UI
            </a>
          )}
        </div>
        {retried && (
          <div class="note success" role="status">
            {retried}
          </div>
        )}
      </div>

      <h2>Attempts</h2>
      {d.attempts.length === 0 ? (
        <p class="muted">No attempt yet.</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Attempts table">
          <table class="list attempts" aria-label="Attempts">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Trigger</th>
                <th scope="col">Time</th>
                <th scope="col">Response</th>
                <th scope="col">Duration</th>
                <th scope="col">Error</th>
                <th scope="col">Response body (excerpt)</th>
              </tr>
            </thead>
            <tbody>
              {d.attempts.map((a) => (
                <tr key={a.id} data-trigger={a.trigger}>
                  <td data-label="#">{a.number}</td>
                  <td data-label="Trigger">{a.trigger}</td>
                  <td data-label="Time">
                    <When iso={a.startedAt} />
                  </td>
                  <td data-label="Response">
                    <CodeBadge ok={a.ok} code={a.statusCode} />
                  </td>
                  <td data-label="Duration">{a.durationMs} ms</td>
                  <td data-label="Error">{a.error ?? '—'}</td>
                  <td data-label="Response body">
                    {a.responseExcerpt ? (
                      <pre class="code excerpt" tabIndex={0} aria-label={`Response body of attempt ${a.number}`}>
                        {a.responseExcerpt}
                      </pre>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Request</h2>
      <p class="muted">
        The body and headers of {last ? `attempt ${last.number}` : 'the attempts'}, as Herald builds them from the event and the webhook's current settings. The
        signature is not shown.
      </p>
      <h3>Headers</h3>
      {sub.data ? (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Headers table">
          <table class="list headers" aria-label="Request headers">
            <tbody>
              {headersFor(sub.data, d, last).map(([n, v]) => (
                <tr key={n}>
                  <th scope="row">
                    <code>{n}</code>
                  </th>
                  <td>
                    <code>{v}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <ErrorNote error={sub.error} />
      )}
      <h3>Payload</h3>
      {event.data && sub.data ? (
        <Json value={bodyFor(sub.data.payloadFormat, event.data, sub.data.userDefined)} label="Payload as sent" />
      ) : (
        <ErrorNote error={event.error ?? sub.error} />
      )}
    </section>
  );
}
