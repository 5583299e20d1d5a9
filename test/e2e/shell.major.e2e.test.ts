import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShellDriver, shellDatabase } from '../support/shell-driver.js';

/**
 * The terminal chat and a major incident (SPEC §12): the recovery plan and the communication plan
 * typed; the card followed by a labelled war-room section (the terminal has no channel); the
 * post-incident review saved as a file after the close.
 */
describe('the terminal chat: a major incident managed', () => {
  const db = shellDatabase('major');
  let shell: ShellDriver | undefined;

  afterAll(() => db.cleanup(shell));

  it('keeps the plan as versions, shows the war room as a section, and saves the review', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shell-major-'));
    shell = new ShellDriver({ ...db.env, DATA_DIR: dataDir });
    const s = shell;
    await s.expect('You are acting as Chen Jing');
    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    await s.answer('report Core switch down', 'Nothing routes', '1', '1', '', '', '', '', '', '', '');
    await s.expect('Logged INC-000001 (P1)');
    s.send('as zhao.lei');
    await s.expect('You are acting as Zhao Lei');
    s.send('plan 1 facts cs-1 rebooted at 09:00');
    await s.expect('Saved as recovery plan v1.');
    s.send('plan 1 hypothesis 4 Firmware 9.2 crashed the supervisor');
    await s.expect('Saved as recovery plan v2.');
    s.send('plan 1 diff 1 2');
    await s.expect('+   1. (4/5) Firmware 9.2 crashed the supervisor');
    s.send('comms 1 draft leadership Failover under way');
    await s.expect('Update #1 for leadership: sent.');
    s.send('show 1');
    const room = await s.expect('Updates:');
    expect(room).toContain('── War room of INC-000001 (the terminal has no channel: what the war room holds) ──');
    expect(room).toContain('INC-000001 recovery plan v2');
    expect(room).toContain('(4/5) Firmware 9.2 crashed the supervisor');

    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    await s.answer('resolve 1', '6', 'Standby supervisor active');
    await s.expect('now Resolved.');
    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    await s.answer('confirm 1', '');
    await s.expect('Confirm resolution done');
    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    await s.answer('close 1', '3', '');
    await s.expect('INC-000001: Close done — now Closed.');
    s.send('review 1');
    const saved = await s.expect(/📎 Saved (\S+\.md)/);
    const path = /📎 Saved (\S+\.md)/.exec(saved)![1]!;
    expect(existsSync(path)).toBe(true);
    const doc = readFileSync(path, 'utf8');
    expect(doc).toContain('# Post-incident review: INC-000001 — Core switch down');
    expect(doc).toContain('### v2 ');
    expect(doc).toContain('leadership · Zhao Lei: Failover under way');
    expect(await s.quit()).toBe(0);
  });
});
