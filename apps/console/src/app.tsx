import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, call, collect, createApiClient, type ApiClient, type EventType, type Tenant, type Whoami } from './api';
import { CatalogPage } from './pages/catalog';
import { DeadLettersPage } from './pages/dead-letters';
import { DeliveriesPage } from './pages/deliveries';
import { DeliveryPage } from './pages/delivery';
import { SignaturePage } from './pages/signature';
import { SignIn } from './pages/sign-in';
import { TenantPage, TenantsPage } from './pages/tenants';
import { StreamsPage } from './pages/streams';
import { WebhookFormPage } from './pages/webhook-form';
import { WebhooksPage } from './pages/webhooks';
import { href, useRoute, type Route } from './router';
import { cameByLink, clearSession, storedTenant, storedToken, storeTenant, storeToken } from './session';
import { ErrorNote, Loading, SessionContext, When, type Session } from './ui';

type Phase =
  | { kind: 'signed-out'; reason?: 'expired' | 'invalid' | 'ingest' | 'signed-out' }
  | { kind: 'checking' }
  | { kind: 'failed'; error: ApiError }
  | { kind: 'ready'; session: Omit<Session, 'tenantId'>; tenants: Tenant[] };

/**
 * Who the token is decides everything else: `GET /v1/whoami`, then (operators) the tenants to
 * pick from, then the catalog. A 401 anywhere ends the session with a message saying why.
 */
async function startSession(client: ApiClient): Promise<{ who: Whoami; tenants: Tenant[]; eventTypes: EventType[] }> {
  const who: Whoami = await call(client.GET('/v1/whoami'));
  const [tenants, eventTypes] = await Promise.all([
    // A tenant session may not list tenants (403): it has its own, from whoami, and no picker.
    who.kind === 'admin' ? collect((cursor) => call(client.GET('/v1/tenants', { params: { query: { cursor, limit: 100 } } })), 1000) : Promise.resolve([]),
    call(client.GET('/v1/event-types')).then((r) => r.data as EventType[]),
  ]);
  return { who, tenants, eventTypes };
}

export function App() {
  const [token, setToken] = useState<string | null>(() => storedToken());
  const [phase, setPhase] = useState<Phase>(() => (storedToken() ? { kind: 'checking' } : { kind: 'signed-out' }));
  const [tenantId, setTenantId] = useState(() => storedTenant());
  const route = useRoute();

  const endSession = (reason: 'expired' | 'invalid' | 'ingest' | 'signed-out'): void => {
    clearSession();
    setToken(null);
    setPhase({ kind: 'signed-out', reason });
  };

  useEffect(() => {
    if (!token) return;
    setPhase({ kind: 'checking' });
    const client = createApiClient(token, () => endSession(cameByLink() ? 'expired' : 'invalid'));
    startSession(client).then(
      ({ who, tenants, eventTypes }) => {
        if (who.kind === 'ingest') return endSession('ingest');
        setPhase({ kind: 'ready', session: { client, who, eventTypes }, tenants });
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) return; // endSession already ran
        setPhase({ kind: 'failed', error: err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err)) });
      },
    );
  }, [token]);

  const session = useMemo<Session | null>(() => {
    if (phase.kind !== 'ready') return null;
    const own = phase.session.who.kind === 'tenant' ? (phase.session.who.tenantId ?? '') : tenantId;
    return { ...phase.session, tenantId: own };
  }, [phase, tenantId]);

  if (phase.kind === 'signed-out') {
    return (
      <SignIn
        reason={phase.reason}
        onToken={(t) => {
          storeToken(t, 'sign-in');
          setToken(t);
        }}
      />
    );
  }
  if (phase.kind === 'checking')
    return (
      <main class="centered">
        <Loading what="your session" />
      </main>
    );
  if (phase.kind === 'failed' || !session) {
    return (
      <main class="centered">
        <h1>Herald console</h1>
        <ErrorNote error={phase.kind === 'failed' ? phase.error : undefined} />
        <button type="button" onClick={() => endSession('signed-out')}>
          Sign out
        </button>
      </main>
    );
  }

  return (
    <SessionContext.Provider value={session}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('webhooks')}>
          Herald
        </a>
        <nav aria-label="Console">
          <ul>
            {NAV.filter(([path]) => path !== 'tenants' || session.who.kind === 'admin').map(([path, label]) => (
              <li key={path}>
                <a href={href(path)} aria-current={route.path[0] === path ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          {session.who.kind === 'admin' && (
            <label>
              Tenant{' '}
              <select
                value={tenantId}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value;
                  storeTenant(v);
                  setTenantId(v);
                }}
              >
                <option value="">All tenants</option>
                {phase.tenants.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name && t.name !== t.id ? `${t.name} (${t.id})` : t.id}
                  </option>
                ))}
              </select>
            </label>
          )}
          <span class="muted">
            {session.who.kind === 'admin' ? 'Operator' : `Tenant ${session.who.tenantId ?? ''}`}
            {session.who.expiresAt && (
              <>
                {' '}
                · link valid until <When iso={session.who.expiresAt} />
              </>
            )}
          </span>
          <button type="button" onClick={() => endSession('signed-out')}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </SessionContext.Provider>
  );
}

const NAV: [string, string][] = [
  ['webhooks', 'Webhooks'],
  ['deliveries', 'Deliveries'],
  ['dead-letters', 'Dead letters'],
  ['event-types', 'Event catalog'],
  ['signatures', 'Signatures'],
  // Operators only (a tenant session may not list tenants): weights and who is bursting.
  ['tenants', 'Tenants'],
];

function Page({ route }: { route: Route }) {
  const [section, id, sub] = route.path;
  const first = useRef(true);
  useEffect(() => {
    const title = NAV.find(([p]) => p === section)?.[1] ?? 'Herald';
    document.title = `${title} · Herald console`;
    // A new page: focus goes to its content (the link that was clicked may be gone), as on a page load.
    if (!first.current) document.getElementById('main')?.focus({ preventScroll: false });
    first.current = false;
  }, [section, id]);
  switch (section) {
    case 'webhooks':
      if (id === 'new') return <WebhookFormPage />;
      if (id && sub === 'streams') return <StreamsPage id={id} />;
      if (id) return <WebhookFormPage id={id} />;
      return <WebhooksPage />;
    case 'deliveries':
      return id ? <DeliveryPage id={id} /> : <DeliveriesPage key={route.query.toString()} query={route.query} />;
    case 'dead-letters':
      return <DeadLettersPage query={route.query} />;
    case 'event-types':
      return <CatalogPage />;
    case 'signatures':
      return <SignaturePage />;
    case 'tenants':
      return id ? <TenantPage id={id} /> : <TenantsPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page here. <a href={href('webhooks')}>Go to the webhooks</a>.
          </p>
        </section>
      );
  }
}
