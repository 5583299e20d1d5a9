import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver } from '../support/slack/slack-bot.js';
import { BotProcess, Installation, freePort } from '../support/installation.js';

const REPLICAS = 3;
const INCIDENTS = 30;

/**
 * Scaling out (docs/deploy.md): three bot processes on one database, Slack's requests spread over
 * them round-robin by a small proxy (as nginx does in compose.yaml). Every process runs the Slack
 * receiver, the Discord gateway, outbox delivery and the timers; each incident, card, thread line,
 * notification and war room must still exist exactly once.
 */
describe(`${REPLICAS} bot processes behind a round-robin proxy`, () => {
  const installation = new Installation('Replicas');
  const bots: BotProcess[] = [];
  let proxy: Server;
  const served = new Map<string, number>();

  beforeAll(async () => {
    await installation.start();
    for (let i = 0; i < REPLICAS; i++) {
      const port = await freePort();
      bots.push(new BotProcess(installation.env(port), port));
    }
    await Promise.all(bots.map((b) => b.start()));
    let turn = 0;
    proxy = createServer((req, res) => {
      const target = new URL(bots[turn++ % bots.length]!.url);
      served.set(target.port, (served.get(target.port) ?? 0) + 1);
      const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    installation.driver = new SlackDriver(installation.slack, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
  }, 180_000);

  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    await Promise.all(bots.map((b) => b.stop()));
    await installation.stop();
  });

  it(`drives ${INCIDENTS} incidents through them; each incident, card, line, notification and war room exists once`, async () => {
    const ids = await Promise.all(Array.from({ length: INCIDENTS }, (_, n) => installation.drive(n)));
    await installation.drained();
    const report = await installation.count(ids);
    console.log(`${REPLICAS} replicas, requests served ${JSON.stringify([...served.values()])}\n${JSON.stringify(report, null, 1)}`);
    // Every replica took requests, and the incidents are distinct.
    expect(served.size).toBe(REPLICAS);
    expect(new Set(ids).size).toBe(INCIDENTS);
    const stored = (await installation.conn.collection('incidents').countDocuments()) + (await installation.conn.collection('incidents_closed').countDocuments());
    expect(stored).toBe(INCIDENTS);
    expect(report.slack.doubled).toEqual([]);
    expect(report.slack.missing).toEqual([]);
    expect(report.discord.doubled).toEqual([]);
    expect(report.discord.missing).toEqual([]);
  }, 600_000);
});
