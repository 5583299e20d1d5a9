/**
 * A real Prometheus Alertmanager for tests (built once per machine by dev/alertmanager.ts): one
 * route to one webhook receiver, so a test can post alerts to its API and watch what the bot's
 * alert webhook would be sent — Alertmanager's real grouping, payload and resolve messages
 * rather than a hand-written imitation of them.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { alertmanagerBinary } from '../../dev/alertmanager.js';
import { tail, terminate } from '../../dev/support.js';

/** One alert as Alertmanager's API v2 takes it (POST /api/v2/alerts). */
export interface AlertInput {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** Defaults to the time Alertmanager receives it. */
  startsAt?: string | Date;
  /** In the past = resolved; omitted = firing until resolve_timeout (5 min) passes without a repost. */
  endsAt?: string | Date;
  generatorURL?: string;
}

export interface AlertmanagerOptions {
  /** The receiver's one webhook. */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` with every webhook; none when omitted. */
  bearerToken?: string;
  /** Labels that split alerts into groups (one webhook message per group). */
  groupBy?: string[];
  /** Short defaults so a test sees its notification within seconds; Alertmanager's own are 30s/5m/4h. */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** Also notify when a group's alerts resolve (default true). */
  sendResolved?: boolean;
}

export interface StartedAlertmanager {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  postAlerts(alerts: AlertInput[]): Promise<void>;
  /** Stops the server and removes its config and data folder. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
/** Another process may take the free port between our probe and Alertmanager's bind. */
const START_ATTEMPTS = 3;

type ServerProcess = ChildProcessByStdio<null, Readable, Readable>;

export async function startAlertmanager(options: AlertmanagerOptions): Promise<StartedAlertmanager> {
  // Global setup has built (or found) the binary already, or failed to, once for all test files;
  // without it (another config, a script) this finds or builds it.
  const setupError = process.env.TEST_ALERTMANAGER_ERROR;
  if (setupError) throw new Error(`Alertmanager is not available: ${setupError}`);
  const binary = process.env.TEST_ALERTMANAGER_BIN || (await alertmanagerBinary());
  const dir = await mkdtemp(join(tmpdir(), 'incident-bot-alertmanager-'));
  try {
    const configFile = join(dir, 'alertmanager.yml');
    await writeFile(configFile, stringify(config(options)));
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnFreePort(binary, dir, configFile);
      } catch (err) {
        if (attempt >= START_ATTEMPTS || !(err instanceof PortTakenError)) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function config(o: AlertmanagerOptions) {
  const receiver = 'webhook';
  return {
    route: {
      receiver,
      group_by: o.groupBy ?? ['alertname', 'instance'],
      group_wait: o.groupWait ?? '1s',
      group_interval: o.groupInterval ?? '1s',
      repeat_interval: o.repeatInterval ?? '1h',
    },
    receivers: [
      {
        name: receiver,
        webhook_configs: [
          {
            url: o.webhookUrl,
            send_resolved: o.sendResolved ?? true,
            max_alerts: 0, // all of a group's alerts in one message, so truncatedAlerts stays 0
            ...(o.bearerToken === undefined
              ? {}
              : { http_config: { authorization: { type: 'Bearer', credentials: o.bearerToken } } }),
          },
        ],
      },
    ],
  };
}

class PortTakenError extends Error {}

async function startOnFreePort(binary: string, dir: string, configFile: string): Promise<StartedAlertmanager> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ServerProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`, // the payload's externalURL; otherwise http://<hostname>:<port>
      '--cluster.listen-address=', // empty = no HA gossip: no second port, no peer search
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = tail(child.stdout, child.stderr);
  child.on('error', () => undefined); // spawn/kill failures surface through waitForReady or exit
  // Alertmanager has no "exit when stdin closes"; this covers every exit short of SIGKILL.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stopProcess = () =>
    (stopping ??= (async () => {
      process.off('exit', killOnExit);
      await terminate(child);
    })());

  try {
    await waitForReady(child, url, output);
  } catch (err) {
    await stopProcess();
    throw err;
  }
  return {
    url,
    async postAlerts(alerts) {
      const body = alerts.map((a) => ({
        ...a,
        startsAt: a.startsAt instanceof Date ? a.startsAt.toISOString() : a.startsAt,
        endsAt: a.endsAt instanceof Date ? a.endsAt.toISOString() : a.endsAt,
      }));
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`POST ${url}/api/v2/alerts: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      await stopProcess();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** Polls /-/ready, which answers 200 once the configuration is loaded and the API serves. */
async function waitForReady(child: ServerProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exit: string | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => (exit = signal ?? `code ${code}`));
  child.once('error', (err) => (spawnError = err));
  const fail = (why: string) => {
    const text = output().trim();
    const message = `Alertmanager ${why}${text ? `; output: ${text}` : ''}`;
    return /address already in use/i.test(text) ? new PortTakenError(message) : new Error(message);
  };
  for (;;) {
    if (spawnError) throw fail(`could not be started: ${spawnError.message}`);
    if (exit !== undefined) throw fail(`exited before it was ready (${exit})`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw fail(`was not ready after ${READY_TIMEOUT_MS / 1000} s at ${url}`);
    await sleep(100);
  }
}

