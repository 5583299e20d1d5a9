import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shortenPolicy } from '../../scripts/fast-policy.js';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load-config.js';
import { ShellDriver, shellDatabase } from '../support/shell-driver.js';

/**
 * `npm start` with the shipped policy shortened 60× (minutes → seconds): a P2 logged in the
 * terminal escalates on SPEC §6's schedule; the bot is killed before the next tiers, and the
 * restarted bot sends each missed one once, saying it is late.
 */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the notifications');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('timers in the terminal, across a kill -9', () => {
  const db = shellDatabase('e2e_t');
  const dir = mkdtempSync(join(tmpdir(), 'incident-fast-'));
  const policy = join(dir, 'fast.yml');
  writeFileSync(policy, shortenPolicy(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'), 60));
  const env = { ...db.env, INCIDENT_CONFIG: policy, AGENDA_PROCESS_EVERY_MS: '300', OUTBOX_POLL_MS: '100' };
  let shell: ShellDriver | undefined;

  afterAll(() => db.cleanup(shell));

  it('escalates a P2 at 5 s, and after a crash sends the 10 s and 15 s steps once each, marked late', async () => {
    shell = new ShellDriver(env);
    const s = shell;
    await s.expect('You are acting as Chen Jing');
    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    await s.answer('report Payroll export fails', 'Finance cannot export the monthly payroll', '2', '1', '3', '', '', '', '', '', '');
    await s.expect('Logged INC-000001 (P2)');
    // Two role holders, delivered side by side: wait for both, in either order.
    await s.expect(/\(direct message\): ⬆️ Escalation 1 of 3: INC-000001 \(P2\)/, 20_000);
    await s.expect(/\(direct message\): ⬆️ Escalation 1 of 3: INC-000001 \(P2\)/, 10_000);
    const first = s.all();
    expect(first).toContain('to He Xin (direct message): ⬆️ Escalation 1 of 3');
    expect(first).toContain('to Liu Yang (direct message): ⬆️ Escalation 1 of 3');
    expect(first).not.toContain('Sent late');
    // The on-duty first line heard of the new incident when it was logged (SPEC §7 status matrix).
    expect(first).toMatch(/to Chen Jing \(direct message\): New incident INC-000001 \(P2\)/);
    s.kill();

    // Down while the 10 s escalation and notification and the 15 s steps fall due.
    await new Promise((r) => setTimeout(r, 12_000));
    shell = new ShellDriver(env);
    const again = shell;
    await again.expect('You are acting as Chen Jing');
    const sunHao = /to Sun Hao \(direct message\): ⬆️ Escalation 2 of 3: INC-000001[^\n]*\n(?:[^\n]*\n){0,2}[^\n]*Sent late/g;
    await until(() => new RegExp(sunHao.source).test(again.all()) && /missed its response \(dispatch\) target/.test(again.all()), 40_000);
    // A little longer: a second delivery, if there were one, would land by now.
    await new Promise((r) => setTimeout(r, 1_500));
    const output = again.all();
    // Each step once, marked late: one escalation-2 message per role holder (Sun Hao, Liu Yang).
    expect(output.match(sunHao)).toHaveLength(1);
    expect(output.match(/to Liu Yang \(direct message\): ⬆️ Escalation 2 of 3/g)).toHaveLength(1);
    expect(output.match(/to Zhao Lei \(direct message\): ⏰ INC-000001 \(P2\)[^\n]*missed its response/g)).toHaveLength(1);
    // SIGTERM: Agenda and the delivery worker stop gracefully and the process exits cleanly.
    expect(await again.terminate()).toBe(0);
  }, 120_000);
});
