import { CopyButton } from '../ui';

const NODE = `import express from 'express';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

// The webhook's secret, "whsec_…", shown once when it was created or rotated.
const webhook = new Webhook(process.env.HERALD_WEBHOOK_SECRET);
const app = express();

// The RAW body: the signature covers the exact bytes sent.
app.post('/webhooks/herald', express.raw({ type: 'application/json' }), (req, res) => {
  let event;
  try {
    // Checks the HMAC and that webhook-timestamp is within 5 minutes of now.
    event = webhook.verify(req.body, {
      'webhook-id': req.header('webhook-id') ?? '',
      'webhook-timestamp': req.header('webhook-timestamp') ?? '',
      'webhook-signature': req.header('webhook-signature') ?? '',
    });
  } catch (err) {
    if (err instanceof WebhookVerificationError) return res.status(401).end();
    throw err;
  }
  // At-least-once: skip a webhook-id you have already handled.
  res.status(204).end();
});
app.listen(8080);`;

const PYTHON = `import base64, hashlib, hmac, os, time

SECRET = os.environ["HERALD_WEBHOOK_SECRET"]  # "whsec_…"
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))

def verify(body: bytes, headers) -> bool:
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 5 * 60:
        return False  # too old or from the future: a replay
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    # Several space-separated signatures while a rotated secret is still valid.
    return any(
        hmac.compare_digest(expected, sig.split(",", 1)[1])
        for sig in headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )`;

/** How a receiver checks that a request came from Herald (README: "Verifying signatures"). */
export function SignaturePage() {
  return (
    <section aria-labelledby="sig-title">
      <h1 id="sig-title">Verifying signatures</h1>
      <div class="card">
        <p>
          Herald signs every request per the{' '}
          <a href="https://www.standardwebhooks.com/" target="_blank" rel="noopener noreferrer">
            Standard Webhooks
          </a>{' '}
          specification, so any Standard Webhooks or Svix verifier accepts it.
        </p>
        <dl class="facts">
          <div>
            <dt>Secret</dt>
            <dd>
              <code>whsec_</code> followed by base64 of 24 to 64 random bytes; the HMAC key is the decoded bytes.
            </dd>
          </div>
          <div>
            <dt>
              <code>webhook-id</code>
            </dt>
            <dd>The delivery id, the same on every attempt: deduplicate on it.</dd>
          </div>
          <div>
            <dt>
              <code>webhook-timestamp</code>
            </dt>
            <dd>Unix seconds of the attempt; refuse one more than 5 minutes away from now.</dd>
          </div>
          <div>
            <dt>
              <code>webhook-signature</code>
            </dt>
            <dd>
              <code>v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</code>; two, space separated, for 24 hours after a secret rotation.
            </dd>
          </div>
        </dl>
        <p>
          Verify the raw body, before parsing: re-serialised JSON does not match. Answer 2xx within 30 seconds; anything else, a redirect included, is retried.
        </p>
      </div>
      <article class="card" aria-labelledby="sig-node">
        <h2 id="sig-node">
          Node.js (Express, <code>standardwebhooks</code>)
        </h2>
        <pre class="code" tabIndex={0} aria-label="Node.js verification example">
          {NODE}
        </pre>
        <CopyButton text={NODE} label="Copy the Node.js example" />
      </article>
      <article class="card" aria-labelledby="sig-python">
        <h2 id="sig-python">Python (standard library)</h2>
        <pre class="code" tabIndex={0} aria-label="Python verification example">
          {PYTHON}
        </pre>
        <CopyButton text={PYTHON} label="Copy the Python example" />
      </article>
    </section>
  );
}
