import { useState } from 'preact/hooks';

const REASONS = {
  expired: 'Your link has expired or is invalid. Ask the platform for a new link to your webhooks.',
  invalid: 'That token was refused: it is invalid or has expired. Paste the admin token again.',
  ingest: 'That is the ingest token: it may only post events. Sign in with the admin token.',
  'signed-out': 'You are signed out.',
} as const;

/** Operators paste the admin token; tenants arrive through a portal-session link instead. */
export function SignIn({ reason, onToken }: { reason?: keyof typeof REASONS; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const form = (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        if (token.trim()) onToken(token.trim());
      }}
    >
      <h2>Operator sign-in</h2>
      <label for="token">Admin token</label>
      <input
        id="token"
        name="token"
        type="password"
        autoComplete="off"
        required
        value={token}
        onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        aria-describedby="token-help"
      />
      <p id="token-help" class="muted">
        The value of <code>HERALD_ADMIN_TOKEN</code>. It stays in this tab only (session storage) and goes nowhere but this Herald's API.
      </p>
      <button type="submit" class="primary">
        Sign in
      </button>
    </form>
  );
  return (
    <main class="centered" id="main">
      <h1>Herald console</h1>
      {reason && (
        <div class={`note ${reason === 'signed-out' ? '' : 'error'}`} role={reason === 'signed-out' ? 'status' : 'alert'}>
          {REASONS[reason]}
        </div>
      )}
      {reason === 'expired' ? (
        // A customer whose link expired needs a new link, not the operator's form.
        <details>
          <summary>Operator? Sign in with the admin token</summary>
          {form}
        </details>
      ) : (
        form
      )}
      {reason !== 'expired' && <p class="muted">Customers of the platform open the console through the link their platform gives them.</p>}
    </main>
  );
}
