import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiClient, type DeliveryStatus, type EventType, type Whoami } from './api';

/** What every page needs: the API client, who the token is, and the tenant being looked at. */
export interface Session {
  client: ApiClient;
  who: Whoami;
  /** The tenant filter: a tenant session's own tenant, or the one an operator picked ('' = all). */
  tenantId: string;
  eventTypes: EventType[];
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
}

/** `tenantId` for an operator's list queries and creates (a tenant session's token implies its own). */
export function tenantQuery(s: Session): { tenantId?: string } {
  return s.who.kind === 'admin' && s.tenantId ? { tenantId: s.tenantId } : {};
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` whenever `deps` change; the last call wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: unknown) => mine === seq.current && setState({ error: asApiError(error), loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'client_error', (err as Error)?.message ?? String(err));
}

export function ErrorNote({ error }: { error: ApiError | undefined | null }) {
  if (!error) return null;
  const problems = Array.isArray(error.details?.problems) ? (error.details.problems as unknown[]).map(String) : [];
  return (
    <div class="note error" role="alert">
      <strong>{error.status === 404 ? 'Not found' : 'Something went wrong'}:</strong> {error.message}
      {problems.length > 0 && (
        <ul>
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

const STATUS_LABEL: Record<DeliveryStatus, string> = {
  pending: 'pending',
  delivering: 'delivering',
  succeeded: 'succeeded',
  retrying: 'retrying',
  paused: 'paused',
  dead_lettered: 'dead-lettered',
  cancelled: 'cancelled',
};

export function StatusBadge({ status }: { status: DeliveryStatus }) {
  return <span class={`badge status-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function CodeBadge({ ok, code }: { ok: boolean; code: number | null }) {
  return <span class={`badge ${ok ? 'ok' : 'bad'}`}>{code === null ? 'no response' : `HTTP ${code}`}</span>;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function relative(iso: string, now = Date.now()): string {
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.round(abs / 60), 'min'] : abs < 86400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86400), 'd'];
  return s >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

export function When({ iso, rel }: { iso: string | null | undefined; rel?: boolean }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)}
      {rel && <span class="muted"> ({relative(iso)})</span>}
    </time>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="code" tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | ''>('');
  const copy = (): void => {
    if (!navigator.clipboard) return setDone('failed');
    void navigator.clipboard.writeText(text).then(
      () => setDone('copied'),
      () => setDone('failed'),
    );
  };
  return (
    <span>
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span role="status" class="muted">
        {done === 'copied' ? ' Copied.' : done === 'failed' ? ' Copy failed: select the text and copy it.' : ''}
      </span>
    </span>
  );
}

/**
 * A confirmation in a native modal <dialog>: focus is trapped and Escape cancels, as screen
 * reader and keyboard users expect.
 */
export function ConfirmButton(props: {
  label: string;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  danger?: boolean;
  buttonLabel?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      ref.current?.close();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={props.danger ? 'danger' : ''} aria-label={props.buttonLabel} onClick={() => ref.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={ref} aria-label={props.title}>
        <h2>{props.title}</h2>
        <div>{props.children}</div>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" class={props.danger ? 'danger' : 'primary'} disabled={busy} onClick={() => void confirm()}>
            {props.confirmLabel}
          </button>
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A button that runs an API call, disabling itself meanwhile and showing the error next to it. */
export function ActionButton(props: { label: string; busyLabel?: string; onClick: () => Promise<void>; class?: string; ariaLabel?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onClick();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={props.class} aria-label={props.ariaLabel} disabled={busy} onClick={() => void run()}>
        {busy ? (props.busyLabel ?? props.label) : props.label}
      </button>
      {error && <ErrorNote error={error} />}
    </>
  );
}

/** `YYYY-MM-DDTHH:mm` (a datetime-local value, local time) ↔ ISO 8601 instant. */
export function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function isoToLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 4)}…${id.slice(-6)}` : id;
}
