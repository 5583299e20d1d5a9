/**
 * A load generator in its own process: posts prepared Slack request bodies, signed as it sends
 * them, CONCURRENCY at a time, and prints one JSON line: each request's ack time (ms, from the
 * send to the whole answer read) and how many were not answered 200. Run by bench/slack.bench.ts
 * so that the fake Web API it also runs (the bot's receipts and cards land there) does not hold up
 * the clock of the requests.
 *
 *   tsx bench/post-load.ts <url> <bodies.json> <concurrency> <signing secret>
 */
import { readFileSync } from 'node:fs';
import { sign } from '../test/support/slack/slack-payloads.js';

const [url, file, concurrency, secret] = process.argv.slice(2) as [string, string, string, string];
const bodies = JSON.parse(readFileSync(file, 'utf8')) as string[];
const acks: number[] = [];
/** When each request was sent (ms since the first), beside its ack time: where in the run the slow ones fell. */
const sentAt: number[] = [];
let failed = 0;
let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
  while (next < bodies.length) {
    const body = bodies[next++]!;
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, secret) };
    const t = performance.now();
    try {
      const res = await fetch(url, { method: 'POST', headers, body });
      await res.text();
      if (res.status !== 200) failed++;
    } catch {
      failed++;
    }
    acks.push(performance.now() - t);
    sentAt.push(t - started);
  }
}));
process.stdout.write(`${JSON.stringify({ acks, sentAt, failed, ms: performance.now() - started })}\n`);
