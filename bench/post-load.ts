/**
 * A load generator in its own process: posts prepared Slack request bodies, signed as it sends
 * them, CONCURRENCY at a time, and prints one JSON line: each request's ack time (ms, from the
 * send to the whole answer read), how many were not answered 200, and its own CPU time (ms). Run
 * by bench/slack.bench.ts so that the fake Web API it also runs (the bot's receipts and cards land
 * there) does not hold up the clock of the requests.
 *
 *   tsx bench/post-load.ts <url> <bodies.json> <concurrency> <signing secret>
 *   tsx bench/post-load.ts slash <url> <concurrency> <signing secret> <seconds> <response_url> <user id> <user name> <channel>
 * The second form sends slash commands for a time instead, each built and signed as it goes out.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { sign, slashCommandBody, triggerId } from '../test/support/slack/slack-payloads.js';

const [mode] = process.argv.slice(2);
const acks: number[] = [];
/** When each request was sent (ms since the first), beside its ack time: where in the run the slow ones fell. */
const sentAt: number[] = [];
let failed = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();

/**
 * Keep-alive connections, up to one per request in flight; BENCH_KEEPALIVE=0: a new connection per
 * request, as a proxy without upstream keep-alive sends them. Node's http client, not fetch: on
 * this machine fetch spent 0.4–1.0 ms of CPU per 13 KB post against 0.08–0.2 ms for this (3,000
 * posts, 50 at a time, to a server that only answers), and a load generator using most of a core
 * slows the bot it measures on two cores.
 */
const agent = new Agent({ keepAlive: process.env.BENCH_KEEPALIVE !== '0', maxSockets: Infinity });

/** Posts one signed body and records its ack time. */
async function post(url: string, body: string, secret: string): Promise<void> {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...sign(body, secret) };
  const t = performance.now();
  const status = await new Promise<number>((resolve) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(0));
    });
    req.once('error', () => resolve(0));
    req.end(body);
  });
  if (status !== 200) failed++;
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
const cpu = process.cpuUsage(cpuBefore);
agent.destroy();
process.stdout.write(`${JSON.stringify({ acks, sentAt, failed, ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
