import { useEffect, useState } from 'preact/hooks';
import { call, FINAL_STATUSES, type Attempt, type DeliveryDetail, type SentRequest } from '../api';
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
  /** The attempt whose request is shown; the latest until one is picked. */
  const [shownId, setShownId] = useState<string>();

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
  const shown = d.attempts.find((a) => a.id === shownId) ?? d.attempts[d.attempts.length - 1];

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
          {d.sequence != null && (
            <div class="ordering">
              <dt>Ordered</dt>
              <dd>
                key <code>{d.orderingKey || '(the single stream)'}</code>, sequence <strong>{d.sequence}</strong>
              </dd>
            </div>
          )}
          {d.stream && (
            // While a fifo delivery is open: who holds its stream, since when, how many wait.
            <div class="stream">
              <dt>Stream</dt>
              <dd>
                {d.stream.headId === d.id ? (
                  'this delivery is the head'
                ) : (
                  <>
                    waiting behind <a href={href(`deliveries/${d.stream.headId}`)}>#{d.stream.headSequence}</a>
                  </>
                )}{' '}
                (<StatusBadge status={d.stream.headStatus} />
                {d.stream.blocked && <strong> blocked</strong>}
                {d.stream.since && (
                  <>
                    {' '}
                    since <When iso={d.stream.since} />
                  </>
                )}
                ), {d.stream.behind} behind it
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
      {d.attempts.length > 0 && (
        <label class="inline">
          Attempt{' '}
          <select value={shown?.id} onChange={(e) => setShownId((e.target as HTMLSelectElement).value)}>
            {d.attempts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.number} ({a.trigger})
              </option>
            ))}
          </select>
        </label>
      )}
      {shown?.request ? (
        <SentRequestFacts attempt={shown} request={shown.request} />
      ) : (
        <>
          <p class="muted">
            {shown
              ? `Attempt ${shown.number} kept no record of its request (it was interrupted, or made before Herald kept them): its headers as Herald builds them from the event and the webhook's current settings.`
              : "No attempt yet: the headers as Herald builds them from the event and the webhook's current settings."}{' '}
            The signature is not shown.
          </p>
          <h3>Headers</h3>
          {sub.data ? <HeaderTable rows={headersFor(sub.data, d, shown)} /> : <ErrorNote error={sub.error} />}
        </>
      )}
      <h3>Payload</h3>
      <p class="muted">
        The body as Herald builds it now from the event and the webhook's current payload format and user-defined values; an attempt's record keeps its SHA-256
        and size, not the body.
      </p>
      {event.data && sub.data ? (
        <Json value={bodyFor(sub.data.payloadFormat, event.data, sub.data.userDefined)} label="Payload as sent" />
      ) : (
        <ErrorNote error={event.error ?? sub.error} />
      )}
    </section>
  );
}

function HeaderTable({ rows }: { rows: [string, string][] }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Headers table">
      <table class="list headers" aria-label="Request headers">
        <tbody>
          {rows.map(([n, v]) => (
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
  );
}

/** What one attempt sent, as its record keeps it: headers (custom values and signatures masked), the body's hash and size, the signing keys. */
function SentRequestFacts({ attempt, request }: { attempt: Attempt; request: SentRequest }) {
  const keys = request.signatureKeyIds.map((k) => (k === 'current' ? 'the current secret' : 'the previous secret (rotation)')).join(' and ');
  return (
    <>
      <p class="muted sent-request">
        What attempt {attempt.number} sent to <code>{attempt.url}</code>, as recorded when it went out. Custom header values and the signatures are masked.
      </p>
      <dl class="facts">
        <div>
          <dt>Body SHA-256</dt>
          <dd>
            <code data-figure="body-sha256">{request.bodySha256}</code>
          </dd>
        </div>
        <div>
          <dt>Body size</dt>
          <dd data-figure="body-bytes">{request.bodyBytes} bytes</dd>
        </div>
        <div>
          <dt>Signed with</dt>
          <dd data-figure="signed-with">{keys}</dd>
        </div>
      </dl>
      <h3>Headers</h3>
      <HeaderTable rows={Object.entries(request.headers).sort(([a], [b]) => headerOrder(a) - headerOrder(b) || a.localeCompare(b))} />
    </>
  );
}

/** Custom headers first, then Herald's own in the order it sets them (libs/delivery/headers.ts); the record keeps no order. */
const OWN = [
  'content-type',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-herald-event-type',
  'x-herald-attempt',
  'traceparent',
  'x-herald-ordering-key',
  'x-herald-sequence',
];
function headerOrder(name: string): number {
  return OWN.indexOf(name.toLowerCase()) + 1;
}
