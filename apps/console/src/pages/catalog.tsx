import { href } from '../router';
import { Json, useSession } from '../ui';

/** The event types a webhook can subscribe to, with the JSON Schema their payload follows. */
export function CatalogPage() {
  const { eventTypes } = useSession();
  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Event catalog</h1>
      <p class="muted">
        What Herald can send. A webhook lists exact types, a family (<code>image.*</code>) or <code>*</code>. Each payload also carries the webhook's{' '}
        <code>user_defined</code> values. The <code>herald.*</code> types are Herald's own operational events (a webhook disabled, failing, recovered, a
        delivery dead-lettered): <code>*</code> does not include them, list <code>herald.*</code> to receive them; the <code>_operator</code> tenant receives
        those of every tenant.
      </p>
      {eventTypes.map((t) => {
        const example = t.example;
        return (
          <article class="card" key={t.name} aria-labelledby={`type-${t.name}`}>
            <h2 id={`type-${t.name}`}>
              <code>{t.name}</code>
            </h2>
            <p>{t.description}</p>
            {example && (
              <details open>
                <summary>Example payload (flat format)</summary>
                <Json value={{ ...example, user_defined: { environment: 'staging' } }} label={`Example of ${t.name}`} />
              </details>
            )}
            {Object.keys(t.schema ?? {}).length > 0 && (
              <details>
                <summary>JSON Schema</summary>
                <Json value={t.schema} label={`JSON Schema of ${t.name}`} />
              </details>
            )}
            <p>
              <a href={href('deliveries', { eventType: t.name })}>Deliveries of {t.name}</a>
            </p>
          </article>
        );
      })}
    </section>
  );
}
