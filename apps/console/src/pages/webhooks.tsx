import { useEffect, useState } from 'preact/hooks';
import { call, type Attempt, type Subscription } from '../api';
import { href } from '../router';
import { ActionButton, asApiError, CodeBadge, ConfirmButton, ErrorNote, Loading, StatusBadge, tenantQuery, useLoad, useSession, When } from '../ui';

export function WebhooksPage() {
  const session = useSession();
  const { client } = session;
  const [cursor, setCursor] = useState<string | null>(null);
  const [rows, setRows] = useState<Subscription[]>([]);
  const page = useLoad(
    () => call(client.GET('/v1/subscriptions', { params: { query: { ...tenantQuery(session), cursor: cursor ?? undefined, limit: 50 } } })),
    [cursor, session.tenantId],
  );
  useEffect(() => {
    if (page.data) setRows((r) => (cursor ? [...r, ...page.data!.data] : page.data!.data));
  }, [page.data]);
  useEffect(() => setCursor(null), [session.tenantId]);

  const replace = (s: Subscription): void => setRows((all) => all.map((x) => (x.id === s.id ? s : x)));
  const remove = (id: string): void => setRows((all) => all.filter((x) => x.id !== id));

  return (
    <section aria-labelledby="webhooks-title">
      <div class="title-row">
        <h1 id="webhooks-title">Webhooks</h1>
        <a class="button primary" href={href('webhooks/new')}>
          Create webhook
        </a>
      </div>
      <p class="muted">Endpoints Herald POSTs events to, signed. Toggle one off to stop sending; its log stays.</p>
      <ErrorNote error={page.error} />
      {page.loading && rows.length === 0 && <Loading what="webhooks" />}
      {!page.loading && !page.error && rows.length === 0 && (
        <div class="empty card">
          <p>No webhooks yet.</p>
          <a class="button primary" href={href('webhooks/new')}>
            Create your first webhook
          </a>
        </div>
      )}
      {rows.length > 0 && (
        <ul class="webhooks" aria-label="Webhooks">
          {rows.map((s) => (
            <WebhookRow key={s.id} sub={s} onChange={replace} onDelete={remove} />
          ))}
        </ul>
      )}
      {page.data?.nextCursor && (
        <button type="button" onClick={() => setCursor(page.data!.nextCursor)} disabled={page.loading}>
          Show more webhooks
        </button>
      )}
    </section>
  );
}

function WebhookRow({ sub, onChange, onDelete }: { sub: Subscription; onChange: (s: Subscription) => void; onDelete: (id: string) => void }) {
  const { client } = useSession();
  const [test, setTest] = useState<Attempt>();
  const [toggleError, setToggleError] = useState<ReturnType<typeof asApiError>>();
  const name = sub.description || sub.url;
  const toggle = async (enabled: boolean): Promise<void> => {
    setToggleError(undefined);
    try {
      onChange(await call(client.PATCH('/v1/subscriptions/{id}', { params: { path: { id: sub.id } }, body: { enabled } })));
    } catch (err) {
      setToggleError(asApiError(err));
    }
  };
  return (
    <li class="card webhook" data-id={sub.id}>
      <div class="webhook-head">
        <h2 class="webhook-name">
          <a href={href(`webhooks/${sub.id}`)}>{sub.description || <span class="muted">(no description)</span>}</a>
        </h2>
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            checked={sub.enabled}
            aria-label={`Enabled: ${name}`}
            onChange={(e) => void toggle((e.target as HTMLInputElement).checked)}
          />
          <span aria-hidden="true">{sub.enabled ? 'Enabled' : 'Disabled'}</span>
        </label>
        {sub.paused && <span class="badge paused">Paused</span>}
      </div>
      <ErrorNote error={toggleError} />
      <HealthNote sub={sub} />
      <dl class="facts">
        <div>
          <dt>URL</dt>
          <dd class="url">{sub.url}</dd>
        </div>
        <div>
          <dt>Event types</dt>
          <dd>
            {sub.eventTypes.map((t) => (
              <code key={t} class="chip">
                {t}
              </code>
            ))}
          </dd>
        </div>
        {sub.ordering === 'fifo' && (
          <div>
            <dt>Ordering</dt>
            <dd>
              <a href={href(`webhooks/${sub.id}/streams`)}>fifo: one at a time per ordering key</a>
            </dd>
          </div>
        )}
        <div>
          <dt>Last delivery</dt>
          <dd>
            {sub.lastDelivery ? (
              <a href={href(`deliveries/${sub.lastDelivery.id}`)}>
                <StatusBadge status={sub.lastDelivery.status} /> <When iso={sub.lastDelivery.at} />
              </a>
            ) : (
              <span class="muted">none yet</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Success, 24 h</dt>
          <dd>{sub.successRate24h === null ? <span class="muted">no finished deliveries</span> : <span>{percent(sub.successRate24h)}</span>}</dd>
        </div>
      </dl>
      <div class="actions">
        <ActionButton
          label="Send test"
          busyLabel="Sending…"
          ariaLabel={`Send test: ${name}`}
          onClick={async () => setTest(await call(client.POST('/v1/subscriptions/{id}/test', { params: { path: { id: sub.id } } })))}
        />
        <a class="button" href={href('deliveries', { subscriptionId: sub.id })} aria-label={`Deliveries: ${name}`}>
          Deliveries
        </a>
        <a class="button" href={href(`webhooks/${sub.id}`)} aria-label={`Edit: ${name}`}>
          Edit
        </a>
        <ConfirmButton
          label="Delete"
          buttonLabel={`Delete: ${name}`}
          title="Delete this webhook?"
          confirmLabel="Delete webhook and its logs"
          danger
          onConfirm={async () => {
            await call(client.DELETE('/v1/subscriptions/{id}', { params: { path: { id: sub.id } } }));
            onDelete(sub.id);
          }}
        >
          <p>
            <strong>{name}</strong> stops receiving events. Its delivery log, attempts and dead letters are deleted with it, and its running deliveries stop.
            This cannot be undone.
          </p>
        </ConfirmButton>
      </div>
      {test && <TestResult attempt={test} />}
    </li>
  );
}

/** 0–1 as a percentage: whole numbers, but never 100 % for a rate below 1 (nor 0 % above 0). */
function percent(rate: number): string {
  const p = Math.round(rate * 100);
  if (p === 100 && rate < 1) return `${Math.floor(rate * 1000) / 10} %`;
  if (p === 0 && rate > 0) return '< 1 %';
  return `${p} %`;
}

export function TestResult({ attempt }: { attempt: Attempt }) {
  return (
    <div class={`note ${attempt.ok ? 'success' : 'error'} test-result`} role="status">
      <strong>Test attempt:</strong> <CodeBadge ok={attempt.ok} code={attempt.statusCode} /> in {attempt.durationMs} ms
      {attempt.error && <span> — {attempt.error}</span>}
      {attempt.responseExcerpt && (
        <pre class="code excerpt" tabIndex={0} aria-label="Response excerpt">
          {attempt.responseExcerpt}
        </pre>
      )}
    </div>
  );
}

/** Why Herald disabled the webhook, or since when it has been failing; re-enabling clears both. */
export function HealthNote({ sub }: { sub?: Subscription }) {
  if (!sub) return null;
  if (sub.disabledReason) {
    return (
      <div class="note error disabled-reason" role="status">
        <strong>Disabled by Herald:</strong> <span>{sub.disabledReason}</span>. Enable it again once the endpoint is fixed: that clears the reason and restarts
        the failing clock.
      </div>
    );
  }
  if (sub.failingSince) {
    return (
      <div class="note warning failing-since" role="status">
        <strong>Failing:</strong> every attempt since <When iso={sub.failingSince} /> failed ({sub.consecutiveFailures} in a row).
      </div>
    );
  }
  return null;
}
