/**
 * A load generator in its own process: posts prepared Slack request bodies, signed as it sends
 * them, CONCURRENCY at a time, and prints one JSON line: each request's ack time (ms, from the
 * send to the whole answer read) and how many were not answered 200. Run by bench/slack.bench.ts
 * so that the fake Web API it also runs (the bot's receipts and cards land there) does not hold up
 * the clock of the requests.
 *
 *   tsx bench/post-load.ts <url> <bodies.json> <concurrency> <signing secret>
 *   tsx bench/post-load.ts slash <url> <concurrency> <signing secret> <seconds> <response_url> <user id> <user name> <channel>
 * The second form sends slash commands for a time instead, each built and signed as it goes out.
 */
import { readFileSync } from 'node:fs';
import { sign, slashCommandBody, triggerId } from '../test/support/slack/slack-payloads.js';

const [mode] = process.argv.slice(2);
const acks: number[] = [];
/** When each request was sent (ms since the first), beside its ack time: where in the run the slow ones fell. */
const sentAt: number[] = [];
let failed = 0;
const started = performance.now();

/** Posts one signed body and records its ack time. */
async function post(url: string, body: string, secret: string): Promise<void> {
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

if (mode === 'slash') {
  // Slash commands for a time, each with a trigger_id issued as it is sent (Slack's live for 3 s).
  const [, url, concurrency, secret, seconds, responseUrl, userId, userName, channel] = process.argv.slice(2) as string[] as [string, string, string, string, string, string, string, string, string];
  const until = started + Number(seconds) * 1000;
  const user = { id: userId, name: userName };
  await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
    while (performance.now() < until) await post(url, slashCommandBody({ user, text: '', channel, responseUrl, triggerId: triggerId() }), secret);
  }));
} else {
  const [url, file, concurrency, secret] = process.argv.slice(2) as [string, string, string, string];
  const bodies = JSON.parse(readFileSync(file, 'utf8')) as string[];
  let next = 0;
  await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
    while (next < bodies.length) await post(url, bodies[next++]!, secret);
  }));
}
process.stdout.write(`${JSON.stringify({ acks, sentAt, failed, ms: performance.now() - started })}\n`);
