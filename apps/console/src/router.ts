import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/deliveries/dlv_…?status=retrying`): deep-linkable, and the server only ever
 * serves index.html and its assets.
 */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [p, q = ''] = raw.split('?', 2);
  const path = p
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  return { path: path.length ? path : ['webhooks'], query: new URLSearchParams(q) };
}

export function href(path: string, query: Record<string, string | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const q = params.toString();
  return `#/${path}${q ? `?${q}` : ''}`;
}

export function navigate(to: string, replace = false): void {
  if (replace) {
    history.replaceState(null, '', to);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = to;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
