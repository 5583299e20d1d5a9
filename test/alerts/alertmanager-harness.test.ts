/**
 * The real-Alertmanager harness (test/support/alertmanager.ts) works end to end: an alert posted
 * to its API reaches a webhook with the bearer token and Alertmanager's webhook payload (version
 * 4), and resolving it sends a "resolved" message. Alert tests build on exactly this.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertmanager, type AlertInput, type StartedAlertmanager } from '../support/alertmanager.js';

/** Generous: the machine may have 2 cores and group_wait/group_interval add ~1 s each. */
const WAIT_MS = 30_000;
const TOKEN = 'harness-token-3f9c';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: WebhookMessage;
}

/** The parts of Alertmanager's webhook message (version 4) this test looks at. */
interface WebhookMessage {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    fingerprint: string;
  }[];
}

/** A webhook receiver that records every request and lets a test wait for one that matches. */
class Receiver {
  readonly received: Received[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      this.received.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(text) as WebhookMessage });
      res.writeHead(200).end();
      for (const wake of this.waiters.splice(0)) wake();
    });
  });

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/alertmanager`;
  }

  async waitFor(what: string, match: (r: Received) => boolean): Promise<Received> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${what} webhook within ${WAIT_MS / 1000} s; got: ${JSON.stringify(this.received.map((r) => r.body))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

describe('real Alertmanager harness', () => {
  const receiver = new Receiver();
  let am: StartedAlertmanager | undefined;

  beforeAll(async () => {
    const webhookUrl = await receiver.start();
    am = await startAlertmanager({ webhookUrl, bearerToken: TOKEN, sendResolved: true });
  });

  afterAll(async () => {
    await am?.stop();
    await receiver.stop();
  });

  it('delivers a firing alert, then its resolution, to the webhook with the bearer token', async () => {
    const startsAt = new Date(Date.now() - 60_000);
    const alert: AlertInput = {
      labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'critical' },
      annotations: { summary: 'Disk almost full on db-1' },
      startsAt,
      generatorURL: 'http://prometheus.example/graph?g0.expr=disk',
    };
    await am!.postAlerts([alert]);

    const firing = await receiver.waitFor('firing', (r) => r.body.status === 'firing');
    expect(firing.method).toBe('POST');
    expect(firing.url).toBe('/alertmanager');
    expect(firing.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(firing.headers['content-type']).toMatch(/^application\/json/);
    const message = firing.body;
    expect(message).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'webhook',
      truncatedAlerts: 0,
      groupLabels: { alertname: 'DiskFull', instance: 'db-1:9100' },
      commonLabels: alert.labels,
    });
    expect(message.groupKey).toEqual(expect.any(String));
    expect(message.groupKey).toContain('alertname="DiskFull"');
    expect(message.alerts).toHaveLength(1);
    const [first] = message.alerts;
    expect(first).toMatchObject({ status: 'firing', labels: alert.labels, annotations: alert.annotations });
    expect(first!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(first!.startsAt)).toBe(startsAt.getTime());
    console.log(`[alertmanager] firing webhook: ${JSON.stringify(message)}`);

    await am!.postAlerts([{ ...alert, endsAt: new Date(Date.now() - 1_000) }]);

    const resolved = await receiver.waitFor('resolved', (r) => r.body.status === 'resolved');
    expect(resolved.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(resolved.body).toMatchObject({ version: '4', status: 'resolved', groupKey: message.groupKey, truncatedAlerts: 0 });
    expect(resolved.body.alerts).toHaveLength(1);
    expect(resolved.body.alerts[0]).toMatchObject({ status: 'resolved', fingerprint: first!.fingerprint, labels: alert.labels });
    console.log(`[alertmanager] resolved webhook: ${JSON.stringify(resolved.body)}`);
  }, 4 * WAIT_MS);
});
