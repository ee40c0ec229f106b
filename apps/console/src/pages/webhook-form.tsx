import { useEffect, useState } from 'preact/hooks';
import { call, type ApiError, type Attempt, type PayloadFormat, type Subscription, type SubscriptionInput, type SubscriptionWithSecret } from '../api';
import { eventTypeFilters } from '../catalog';
import { href, navigate } from '../router';
import { ActionButton, asApiError, ConfirmButton, CopyButton, ErrorNote, Loading, tenantQuery, useLoad, useSession, When } from '../ui';
import { WebhookStats } from './webhook-stats';
import { HealthNote, TestResult } from './webhooks';

interface HeaderRow {
  key: number;
  name: string;
  value: string;
  /** A saved header's value as the API shows it (`••••` and the last 4 characters): values are write-only. */
  masked?: string;
}

interface Draft {
  description: string;
  url: string;
  eventTypes: string[];
  templateIds: string;
  headers: HeaderRow[];
  /** Saving headers replaces them all, so they are sent only once a header row was changed. */
  headersChanged: boolean;
  userDefined: string;
  filter: string;
  payloadFormat: PayloadFormat;
  ordering: 'none' | 'fifo';
  enabled: boolean;
  /** Requests a second at most; empty: unlimited. */
  rateLimit: string;
  secretMode: 'generate' | 'own';
  secret: string;
}

let rowKey = 0;
const headerRows = (h: Record<string, string>): HeaderRow[] => Object.entries(h).map(([name, masked]) => ({ key: ++rowKey, name, value: '', masked }));

function draftOf(s?: Subscription): Draft {
  return {
    description: s?.description ?? '',
    url: s?.url ?? '',
    eventTypes: s?.eventTypes ?? ['image.created'],
    templateIds: (s?.templateIds ?? []).join(', '),
    headers: headerRows(s?.headers ?? {}),
    headersChanged: false,
    userDefined: JSON.stringify(s?.userDefined ?? {}, null, 2),
    filter: s?.filter ? JSON.stringify(s.filter, null, 2) : '',
    payloadFormat: s?.payloadFormat ?? 'flat',
    ordering: s?.ordering ?? 'none',
    enabled: s?.enabled ?? true,
    rateLimit: s?.rateLimitPerSecond == null ? '' : String(s.rateLimitPerSecond),
    secretMode: 'generate',
    secret: '',
  };
}

/** The form's fields as the API takes them (headers only when changed), or the first problem a person can fix here. */
function toInput(d: Draft): SubscriptionInput | string {
  if (d.eventTypes.length === 0) return 'Choose at least one event type.';
  let userDefined: unknown;
  try {
    userDefined = JSON.parse(d.userDefined.trim() || '{}');
  } catch {
    return 'User-defined values must be JSON, e.g. {"environment": "staging"}.';
  }
  if (userDefined === null || typeof userDefined !== 'object' || Array.isArray(userDefined)) return 'User-defined values must be a JSON object.';
  let filter: unknown;
  try {
    filter = JSON.parse(d.filter.trim() || 'null');
  } catch {
    return 'The payload filter must be JSON, e.g. {"data": {"metadata": {"env": {"$eq": "prod"}}}}.';
  }
  if (filter !== null && (typeof filter !== 'object' || Array.isArray(filter))) return 'The payload filter must be a JSON object (empty: every event).';
  const headers: Record<string, string> = {};
  for (const h of d.headers) {
    if (!h.name.trim() && !h.value && !h.masked) continue;
    if (!h.name.trim()) return 'Every custom header needs a name.';
    if (d.headersChanged && h.masked && !h.value)
      return `Enter the value of header ${h.name.trim()} again: header values cannot be read back, and saving the headers replaces them all.`;
    headers[h.name.trim()] = h.value;
  }
  if (d.secretMode === 'own' && !d.secret.trim()) return 'Enter your secret, or let Herald generate one.';
  const rateLimit = d.rateLimit.trim() === '' ? null : Number(d.rateLimit.trim());
  if (rateLimit !== null && !(Number.isInteger(rateLimit) && rateLimit >= 1 && rateLimit <= 10_000))
    return 'The rate limit must be a whole number of requests per second from 1 to 10,000 (empty: unlimited).';
  return {
    description: d.description.trim() || undefined,
    url: d.url.trim(),
    eventTypes: d.eventTypes,
    templateIds: d.templateIds
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    ...(d.headersChanged || !d.headers.some((h) => h.masked) ? { headers } : {}),
    userDefined: userDefined as Record<string, unknown>,
    // null clears it: the API takes `{}` and null alike.
    filter: filter as Record<string, unknown> | null,
    payloadFormat: d.payloadFormat,
    ordering: d.ordering,
    enabled: d.enabled,
    rateLimitPerSecond: rateLimit,
    ...(d.secretMode === 'own' ? { secret: d.secret.trim() } : {}),
  };
}

export function WebhookFormPage({ id }: { id?: string }) {
  const { client } = useSession();
  const existing = useLoad(() => (id ? call(client.GET('/v1/subscriptions/{id}', { params: { path: { id: id } } })) : Promise.resolve(undefined)), [id]);
  const [created, setCreated] = useState<SubscriptionWithSecret>();

  if (created) return <SecretShown sub={created} title="Webhook created" next={href('webhooks')} nextLabel="Done: go to the webhooks" />;
  if (id && existing.loading) return <Loading what="the webhook" />;
  if (id && existing.error) {
    return (
      <section>
        <h1>Webhook</h1>
        <ErrorNote error={existing.error} />
        <a href={href('webhooks')}>Back to the webhooks</a>
      </section>
    );
  }
  return <WebhookForm key={id ?? 'new'} sub={existing.data} onCreated={setCreated} />;
}

function WebhookForm({ sub, onCreated }: { sub?: Subscription; onCreated: (s: SubscriptionWithSecret) => void }) {
  const session = useSession();
  const { client } = session;
  const [d, setD] = useState<Draft>(() => draftOf(sub));
  const [current, setCurrent] = useState(sub);
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [rotated, setRotated] = useState<SubscriptionWithSecret>();
  const [test, setTest] = useState<Attempt>();
  const set = <K extends keyof Draft>(k: K, v: Draft[K]): void => {
    setSaved(false);
    setD((x) => ({ ...x, [k]: v, ...(k === 'headers' ? { headersChanged: true } : {}) }));
  };
  const filters = eventTypeFilters(session.eventTypes);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    const input = toInput(d);
    if (typeof input === 'string') return setProblem(input);
    setProblem(undefined);
    setBusy(true);
    try {
      if (current) {
        const { secret: _s, enabled: _e, ...changes } = input;
        const updated = await call(
          client.PATCH('/v1/subscriptions/{id}', {
            params: { path: { id: current.id } },
            body: { ...changes, description: changes.description ?? null, enabled: d.enabled },
          }),
        );
        setCurrent(updated);
        // The saved values are write-only now: the rows show them masked again.
        setD((x) => ({ ...x, headers: headerRows(updated.headers), headersChanged: false }));
        setSaved(true);
      } else {
        onCreated(await call(client.POST('/v1/subscriptions', { body: { ...input, ...tenantQuery(session) } })));
      }
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  if (rotated)
    return <SecretShown sub={rotated} title="Secret rotated" next={href(`webhooks/${rotated.id}`)} nextLabel="Done" onDone={() => setRotated(undefined)} />;

  return (
    <section aria-labelledby="form-title">
      <p>
        <a href={href('webhooks')}>← Webhooks</a>
      </p>
      <h1 id="form-title">{current ? 'Edit webhook' : 'Create webhook'}</h1>
      {current && (
        <p class="muted">
          Id <code>{current.id}</code>, created <When iso={current.createdAt} />. Changes apply from the next attempt of every delivery.
        </p>
      )}
      {current && <WebhookStats id={current.id} />}
      <form class="card form" onSubmit={(e) => void submit(e)} noValidate>
        <label for="f-description">Description</label>
        <input
          id="f-description"
          value={d.description}
          maxLength={1000}
          onInput={(e) => set('description', (e.target as HTMLInputElement).value)}
          placeholder="Production image pipeline"
        />

        <label for="f-url">Endpoint URL</label>
        <input
          id="f-url"
          type="url"
          required
          value={d.url}
          maxLength={2048}
          inputMode="url"
          aria-describedby="f-url-help"
          onInput={(e) => set('url', (e.target as HTMLInputElement).value)}
          placeholder="https://hooks.example.com/herald"
        />
        <p id="f-url-help" class="muted">
          An HTTPS URL that answers 2xx within 30 seconds. Herald POSTs each event as JSON.
        </p>

        <fieldset>
          <legend>Event types</legend>
          {filters.map((f) => (
            <div class="check" key={f.value}>
              <input
                type="checkbox"
                id={`f-type-${f.value}`}
                checked={d.eventTypes.includes(f.value)}
                aria-describedby={`f-type-${f.value}-desc`}
                onChange={(e) =>
                  set('eventTypes', (e.target as HTMLInputElement).checked ? [...d.eventTypes, f.value] : d.eventTypes.filter((t) => t !== f.value))
                }
              />
              <label for={`f-type-${f.value}`}>
                <code>{f.value}</code>
              </label>
              <span id={`f-type-${f.value}-desc`} class="muted">
                {' '}
                {f.description}
              </span>
            </div>
          ))}
        </fieldset>

        <label for="f-templates">Template scope</label>
        <input
          id="f-templates"
          value={d.templateIds}
          aria-describedby="f-templates-help"
          onInput={(e) => set('templateIds', (e.target as HTMLInputElement).value)}
          placeholder="tpl_product_highlight, tpl_banner"
        />
        <p id="f-templates-help" class="muted">
          Only events of these templates, comma separated. Empty: every template.
        </p>

        <fieldset>
          <legend>Custom headers</legend>
          <p class="muted">
            Sent with every request, e.g. to authenticate to your endpoint. Herald's own headers (<code>webhook-*</code>, <code>x-herald-*</code>,{' '}
            <code>content-type</code>, <code>user-agent</code>) cannot be replaced.
          </p>
          {d.headers.some((h) => h.masked) && (
            <p class="muted">
              Values are kept encrypted and shown only by their last 4 characters. To change the headers, enter every value again: saving them replaces them
              all.
            </p>
          )}
          {d.headers.map((h, i) => (
            <div class="pair" key={h.key}>
              <label for={`f-h-name-${h.key}`}>Header {i + 1} name</label>
              <input
                id={`f-h-name-${h.key}`}
                value={h.name}
                onInput={(e) =>
                  set(
                    'headers',
                    d.headers.map((x) => (x.key === h.key ? { ...x, name: (e.target as HTMLInputElement).value } : x)),
                  )
                }
                placeholder="x-customer-id"
              />
              <label for={`f-h-value-${h.key}`}>Header {i + 1} value</label>
              <input
                id={`f-h-value-${h.key}`}
                value={h.value}
                placeholder={h.masked ? `${h.masked} (saved)` : undefined}
                onInput={(e) =>
                  set(
                    'headers',
                    d.headers.map((x) => (x.key === h.key ? { ...x, value: (e.target as HTMLInputElement).value } : x)),
                  )
                }
              />
              <button
                type="button"
                aria-label={`Remove header ${i + 1}`}
                onClick={() =>
                  set(
                    'headers',
                    d.headers.filter((x) => x.key !== h.key),
                  )
                }
              >
                Remove
              </button>
            </div>
          ))}
          <button type="button" onClick={() => set('headers', [...d.headers, { key: ++rowKey, name: '', value: '' }])}>
            Add header
          </button>
        </fieldset>

        <label for="f-user-defined">User-defined values (JSON object)</label>
        <textarea
          id="f-user-defined"
          rows={4}
          spellcheck={false}
          value={d.userDefined}
          aria-describedby="f-ud-help"
          onInput={(e) => set('userDefined', (e.target as HTMLTextAreaElement).value)}
        />
        <p id="f-ud-help" class="muted">
          Sent as <code>user_defined</code> in every payload (at most 8 KiB), e.g. <code>{'{"environment": "staging"}'}</code>.
        </p>

        <label for="f-filter">Payload filter (JSON object, optional)</label>
        <textarea
          id="f-filter"
          rows={4}
          spellcheck={false}
          value={d.filter}
          aria-describedby="f-filter-help"
          onInput={(e) => set('filter', (e.target as HTMLTextAreaElement).value)}
        />
        <p id="f-filter-help" class="muted">
          Only events that pass it are sent. It mirrors the event (<code>type</code>, <code>templateId</code>, <code>tenantId</code>, <code>data</code>) with{' '}
          <code>$eq $neq $in $nin $gt $gte $lt $lte $exists $startsWith $and $or $not</code> at the leaves, e.g.{' '}
          <code>{'{"data": {"metadata": {"env": {"$eq": "prod"}}}}'}</code>. Empty: every event.
        </p>

        <fieldset>
          <legend>Payload format</legend>
          <div class="check">
            <input type="radio" name="format" id="f-flat" checked={d.payloadFormat === 'flat'} onChange={() => set('payloadFormat', 'flat')} />
            <label for="f-flat">Flat</label>
            <span class="muted">
              {' '}
              the event's data as documented, plus <code>user_defined</code>
            </span>
          </div>
          <div class="check">
            <input type="radio" name="format" id="f-envelope" checked={d.payloadFormat === 'envelope'} onChange={() => set('payloadFormat', 'envelope')} />
            <label for="f-envelope">Envelope</label>
            <span class="muted">
              {' '}
              <code>{'{ id, type, timestamp, traceId, data, user_defined }'}</code>
            </span>
          </div>
        </fieldset>

        {!current && (
          <fieldset>
            <legend>Signing secret</legend>
            <div class="check">
              <input type="radio" name="secret" id="f-secret-gen" checked={d.secretMode === 'generate'} onChange={() => set('secretMode', 'generate')} />
              <label for="f-secret-gen">Generate one for me</label>
            </div>
            <div class="check">
              <input type="radio" name="secret" id="f-secret-own" checked={d.secretMode === 'own'} onChange={() => set('secretMode', 'own')} />
              <label for="f-secret-own">Use my own</label>
            </div>
            {d.secretMode === 'own' && (
              <>
                <label for="f-secret">Secret</label>
                <input
                  id="f-secret"
                  type="password"
                  autoComplete="off"
                  value={d.secret}
                  aria-describedby="f-secret-help"
                  onInput={(e) => set('secret', (e.target as HTMLInputElement).value)}
                />
                <p id="f-secret-help" class="muted">
                  <code>whsec_</code> followed by base64 of 24 to 64 random bytes.
                </p>
              </>
            )}
          </fieldset>
        )}

        <label for="f-ordering">Ordering</label>
        <select
          id="f-ordering"
          value={d.ordering}
          aria-describedby="f-ordering-help"
          onChange={(e) => set('ordering', (e.target as HTMLSelectElement).value as Draft['ordering'])}
        >
          <option value="none">none: each delivery on its own</option>
          <option value="fifo">fifo: one at a time per ordering key, in acceptance order</option>
        </select>
        <p id="f-ordering-help" class="muted">
          With fifo, the deliveries of one ordering key wait for the one before them to end; requests carry x-herald-ordering-key and x-herald-sequence. A
          change applies to deliveries created from then on.
        </p>

        <label for="f-rate">Rate limit (requests per second)</label>
        <input
          id="f-rate"
          type="number"
          min={1}
          max={10000}
          step={1}
          inputMode="numeric"
          value={d.rateLimit}
          aria-describedby="f-rate-help"
          onInput={(e) => set('rateLimit', (e.target as HTMLInputElement).value)}
          placeholder="unlimited"
        />
        <p id="f-rate-help" class="muted">
          At most this many requests a second reach the endpoint, from every Herald worker together; deliveries over it wait their turn without using an
          attempt. Empty: unlimited.
        </p>

        <div class="check">
          <input type="checkbox" id="f-enabled" checked={d.enabled} onChange={(e) => set('enabled', (e.target as HTMLInputElement).checked)} />
          <label for="f-enabled">Enabled</label>
        </div>
        <HealthNote sub={current} />

        {problem && (
          <div class="note error" role="alert">
            {problem}
          </div>
        )}
        <ErrorNote error={error} />
        {saved && (
          <div class="note success" role="status">
            Saved.
          </div>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {current ? 'Save changes' : 'Create webhook'}
          </button>
          <a class="button" href={href('webhooks')}>
            Cancel
          </a>
        </div>
      </form>

      {current && (
        <>
          <section class="card" aria-labelledby="pause-title">
            <h2 id="pause-title">Sending</h2>
            {current.paused ? (
              <p role="status">
                <strong>Paused</strong> since <When iso={current.pausedAt!} />. Events are still accepted; their deliveries wait (status <code>paused</code>)
                and go out, oldest first, when you resume. One that waits more than 7 days is dead-lettered.
              </p>
            ) : (
              <p class="muted">
                Pausing holds every delivery to this endpoint without losing any or using an attempt; an attempt already on its way completes. Unlike disabling,
                nothing is cancelled.
              </p>
            )}
            <ActionButton
              label={current.paused ? 'Resume sending' : 'Pause sending'}
              busyLabel={current.paused ? 'Resuming…' : 'Pausing…'}
              onClick={async () =>
                setCurrent(
                  await call(
                    current.paused
                      ? client.POST('/v1/subscriptions/{id}/resume', { params: { path: { id: current.id } } })
                      : client.POST('/v1/subscriptions/{id}/pause', { params: { path: { id: current.id } } }),
                  ),
                )
              }
            />
          </section>
          <section class="card" aria-labelledby="test-title">
            <h2 id="test-title">Test</h2>
            <p class="muted">
              Sends a sample <code>image.created</code> now, signed, and shows what the endpoint answered.
            </p>
            <ActionButton
              label="Send test"
              busyLabel="Sending…"
              onClick={async () => setTest(await call(client.POST('/v1/subscriptions/{id}/test', { params: { path: { id: current.id } } })))}
            />
            {test && <TestResult attempt={test} />}
          </section>
          <section class="card" aria-labelledby="rotate-title">
            <h2 id="rotate-title">Signing secret</h2>
            <p class="muted">
              Rotating makes a new secret; the old one keeps signing too (a second signature) for 24 hours, so your endpoint can switch over.
              {current.previousSecretExpiresAt && (
                <>
                  {' '}
                  The previous secret signs until <When iso={current.previousSecretExpiresAt} />.
                </>
              )}
            </p>
            <ActionButton
              label="Rotate secret"
              busyLabel="Rotating…"
              onClick={async () => {
                const r = await call(client.POST('/v1/subscriptions/{id}/rotate-secret', { params: { path: { id: current.id } }, body: {} }));
                const { secret: _secret, ...view } = r;
                setCurrent(view);
                setRotated(r);
              }}
            />
          </section>
          <section class="card danger-zone" aria-labelledby="delete-title">
            <h2 id="delete-title">Delete</h2>
            <ConfirmButton
              label="Delete webhook"
              title="Delete this webhook?"
              confirmLabel="Delete webhook and its logs"
              danger
              onConfirm={async () => {
                await call(client.DELETE('/v1/subscriptions/{id}', { params: { path: { id: current.id } } }));
                navigate(href('webhooks'));
              }}
            >
              <p>
                It stops receiving events. Its delivery log, attempts and dead letters are deleted with it, and its running deliveries stop. This cannot be
                undone.
              </p>
            </ConfirmButton>
          </section>
        </>
      )}
    </section>
  );
}

/** The one time a secret is shown: after create and after rotation. */
function SecretShown({
  sub,
  title,
  next,
  nextLabel,
  onDone,
}: {
  sub: SubscriptionWithSecret;
  title: string;
  next: string;
  nextLabel: string;
  onDone?: () => void;
}) {
  useEffect(() => {
    document.getElementById('secret-title')?.focus();
  }, []);
  return (
    <section aria-labelledby="secret-title">
      <h1 id="secret-title" tabIndex={-1}>
        {title}
      </h1>
      <div class="card">
        <p>
          This is the signing secret of <strong>{sub.description || sub.url}</strong>. <strong>Store it now: it is not shown again.</strong> Your endpoint
          verifies each request with it (see <a href={href('signatures')}>Signatures</a>).
        </p>
        <label for="secret-value">Signing secret</label>
        <input id="secret-value" class="secret" readOnly value={sub.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        <CopyButton text={sub.secret} label="Copy secret" />
        <p>
          <a class="button primary" href={next} onClick={onDone}>
            {nextLabel}
          </a>
        </p>
      </div>
    </section>
  );
}
