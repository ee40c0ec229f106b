/**
 * docs/trace.png: one retried delivery's trace as Jaeger's query API returns it, drawn as a
 * waterfall and photographed in Chromium. The Jaeger built from its Go module has no web UI (its
 * assets are a separate JavaScript build), so this page draws the API's JSON: span names,
 * services, timing and the herald.* attributes, exactly as stored in Jaeger.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/trace-screenshot.js [out.png]
 *
 * Starts its own Jaeger, Postgres and Temporal dev server (test support), posts one event to a
 * receiver that answers 503 then 200, and waits for the trace.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startJaeger } from '../libs/devstack/jaeger';
import { createSubscription, imageCreated, postEvent, uniqueTemplate } from '../test/support/admin-api';
import { stopOwnPostgres } from '../test/support/database';
import { deliveriesOf, waitForDelivery } from '../test/support/deliveries';
import { eventually } from '../test/support/engine';
import { startReceiver } from '../test/support/receivers';
import { startStack } from '../test/support/stack';
import { stopOwnTemporal } from '../test/support/temporal';

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; value: unknown }[];
  processID: string;
}

const SHOWN_TAGS = ['herald.attempt', 'http.response.status_code', 'herald.outcome', 'herald.delivery_id', 'herald.event_id'];
const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

async function main(): Promise<void> {
  const out = process.argv[2] ?? join(__dirname, '..', '..', 'docs', 'trace.png');
  const jaeger = await startJaeger();
  const stack = await startStack({ OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl });
  const receiver = await startReceiver({
    kind: 'sequence',
    steps: [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 200 },
    ],
  });
  try {
    const tpl = uniqueTemplate();
    await createSubscription(stack, { url: receiver.url, templateIds: [tpl] });
    const traceId = randomBytes(16).toString('hex');
    const eventId = await postEvent(stack, imageCreated({ templateId: tpl }), { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    const [delivery] = await deliveriesOf(stack.db.dataSource, eventId, 1);
    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded', { timeoutMs: 60_000 });
    const trace = await eventually(
      async () => {
        const res = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
        const t = res.ok ? ((await res.json()) as { data: { spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }[] }).data[0] : undefined;
        return (
          t && t.spans.some((s) => s.operationName === 'RunWorkflow:deliveryWorkflow') && t.spans.filter((s) => s.operationName === 'POST').length === 2 && t
        );
      },
      60_000,
      'the trace in Jaeger',
    );

    // Depth-first from the root, children by start time: the order Jaeger's UI shows.
    const children = new Map<string, JaegerSpan[]>();
    const ids = new Set(trace.spans.map((s) => s.spanID));
    const roots: JaegerSpan[] = [];
    for (const s of trace.spans) {
      const parent = s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
      if (parent && ids.has(parent)) children.set(parent, [...(children.get(parent) ?? []), s]);
      else roots.push(s);
    }
    const rows: { span: JaegerSpan; depth: number }[] = [];
    const walk = (s: JaegerSpan, depth: number): void => {
      rows.push({ span: s, depth });
      for (const c of (children.get(s.spanID) ?? []).sort((a, b) => a.startTime - b.startTime)) walk(c, depth + 1);
    };
    roots.sort((a, b) => a.startTime - b.startTime).forEach((r) => walk(r, 0));
    const t0 = Math.min(...trace.spans.map((s) => s.startTime));
    const t1 = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
    const pct = (us: number): string => `${((us / (t1 - t0)) * 100).toFixed(2)}%`;
    const colour = (service: string): string => (service === 'herald-api' ? '#3b82f6' : '#10b981');
    const html = `<!doctype html><html><head><meta charset="utf-8"><style>
      body { font: 13px system-ui, sans-serif; margin: 16px; color: #111; }
      h1 { font-size: 16px; margin: 0 0 4px; } .sub { color: #555; margin-bottom: 12px; }
      .row { display: grid; grid-template-columns: 430px 1fr; align-items: center; border-top: 1px solid #eee; min-height: 24px; }
      .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      .svc { font-size: 11px; color: #fff; border-radius: 3px; padding: 0 4px; margin-right: 6px; }
      .lane { position: relative; height: 24px; } .bar { position: absolute; top: 7px; height: 10px; border-radius: 2px; min-width: 2px; }
      .tags { position: absolute; top: 4px; font-size: 11px; color: #333; white-space: nowrap; } .err { outline: 2px solid #ef4444; }
    </style></head><body>
      <h1>Trace ${traceId}</h1>
      <div class="sub">event ${escape(eventId)} · delivery ${escape(delivery.id)} · ${trace.spans.length} spans · ${((t1 - t0) / 1000).toFixed(0)} ms ·
      from Jaeger's query API (GET /api/traces/${traceId}), drawn by scripts/trace-screenshot.ts</div>
      ${rows
        .map(({ span, depth }) => {
          const service = trace.processes[span.processID].serviceName;
          const tags = Object.fromEntries(span.tags.map((t) => [t.key, t.value]));
          const shown = SHOWN_TAGS.filter((k) => tags[k] !== undefined)
            .map((k) => `${k}=${String(tags[k])}`)
            .join(' ');
          const left = span.startTime - t0;
          return `<div class="row"><div class="name" style="padding-left:${depth * 12}px"><span class="svc" style="background:${colour(service)}">${service}</span>${escape(span.operationName)}</div>
          <div class="lane"><div class="bar ${tags['otel.status_code'] === 'ERROR' ? 'err' : ''}" style="left:${pct(left)};width:${pct(span.duration)};background:${colour(service)}"></div>
          <div class="tags" style="left:calc(${pct(left + span.duration)} + 6px)">${escape(((span.duration / 1000).toFixed(1) + ' ms ' + shown).trim())}</div></div></div>`;
        })
        .join('\n')}
    </body></html>`;
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 200 } });
      await page.setContent(html);
      await page.screenshot({ path: out, fullPage: true });
    } finally {
      await browser.close();
    }
    process.stdout.write(`trace ${traceId}: ${trace.spans.length} spans → ${out}\n`);
  } finally {
    await receiver.close();
    await stack.stop();
    await jaeger.stop();
    await stopOwnTemporal();
    await stopOwnPostgres();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
