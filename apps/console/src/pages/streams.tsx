import { call } from '../api';
import { href } from '../router';
import { ErrorNote, Loading, StatusBadge, useLoad, useSession, When } from '../ui';

/**
 * A `fifo` webhook's open streams (GET /v1/subscriptions/{id}/streams), longest-held first: each
 * key's head, since when it has had its turn, how many wait behind it. Blocked heads (retrying or
 * paused) are what an operator looks for here.
 */
export function StreamsPage({ id }: { id: string }) {
  const { client } = useSession();
  const streams = useLoad(() => call(client.GET('/v1/subscriptions/{id}/streams', { params: { path: { id } } })), [id]);
  return (
    <section aria-labelledby="streams-title">
      <p>
        <a href={href('webhooks')}>← Webhooks</a>
      </p>
      <h1 id="streams-title">Ordered streams</h1>
      {streams.error ? (
        <ErrorNote error={streams.error} />
      ) : !streams.data ? (
        <Loading what="the streams" />
      ) : streams.data.data.length === 0 ? (
        <p class="muted">No stream has a delivery still to end.</p>
      ) : (
        <table class="streams">
          <thead>
            <tr>
              <th scope="col">Ordering key</th>
              <th scope="col">Head</th>
              <th scope="col">Status</th>
              <th scope="col">Since</th>
              <th scope="col">Behind</th>
            </tr>
          </thead>
          <tbody>
            {streams.data.data.map((s) => (
              <tr key={s.orderingKey} class={s.blocked ? 'blocked' : undefined}>
                <td>
                  <code>{s.orderingKey || '(the single stream)'}</code>
                </td>
                <td>
                  <a href={href(`deliveries/${s.headId}`)}>#{s.headSequence}</a>
                </td>
                <td>
                  <StatusBadge status={s.headStatus} />
                  {s.blocked && <strong> blocked</strong>}
                </td>
                <td>{s.since ? <When iso={s.since} /> : <span class="muted">not yet</span>}</td>
                <td>{s.behind}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
