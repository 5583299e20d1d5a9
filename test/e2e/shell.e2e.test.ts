import { afterAll, describe, expect, it } from 'vitest';
import { ShellDriver, shellDatabase } from '../support/shell-driver.js';

/**
 * The terminal chat driven as a subprocess through the whole path of SPEC §3:
 * report P1 → dispatch → reject → re-dispatch → accept → suspend/resume → resolve → confirm → close,
 * with refused actions on the way, then a restart to see the incident is still there.
 */
describe('the shell adapter, end to end', () => {
  const db = shellDatabase('e2e');
  const env = { ...db.env };
  let shell: ShellDriver | undefined;

  afterAll(() => db.cleanup(shell));

  it('walks an incident from report to close, refusing what the process forbids, and keeps it across a restart', async () => {
    shell = new ShellDriver(env);
    const s = shell;
    await s.expect('You are acting as Chen Jing');

    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    // Report: title from the command line, the rest field by field (numbers pick options).
    await s.answer('report Core switch down', 'All floors lost the network at 09:00', '1', '1', '12', 'core-sw-1', '', '', 'HQ', '', '');
    const receipt = await s.expect(/\[\d+\] Timeline/);
    expect(receipt).toContain('Logged INC-000001 (P1)');
    expect(receipt).toContain('Priority: P1 — MAJOR INCIDENT');
    expect(receipt).toMatch(/Respond by: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

    // Refused: a reporter cannot dispatch, and is told before any form is shown.
    s.send('dispatch INC-000001');
    await s.expect('! You cannot dispatch INC-000001: only first line (service desk), an incident manager may.');

    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    await s.answer('dispatch 1', '3', '', 'Core network is down');
    await s.expect('INC-000001: Dispatch done — now Assigned.');

    s.send('as li.wei');
    await s.expect('You are acting as Li Wei');
    // Refused: a reject needs a reason; the form asks again for the missing field.
    await s.answer('reject 1', '', '2');
    await s.expect('! Reason is required.');
    s.send('The switch is fine: the fault is in the routing application');
    await s.expect('INC-000001: Reject done — now Open.');

    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    await s.answer('redispatch 1', '2', '', 'Network suggests applications', '');
    await s.expect('INC-000001: Re-dispatch / escalate done — now Assigned.\ncross-group re-dispatch, reported to the incident manager');

    // Refused: Li Wei is no longer in the assigned group.
    s.send('as li.wei');
    await s.expect('You are acting as Li Wei');
    s.send('accept 1');
    await s.expect('! You cannot accept INC-000001: only the assignee, a member of the assigned group may.');

    // Accept by pressing the card's button.
    s.send('as liu.yang');
    await s.expect('You are acting as Liu Yang');
    s.send('show 1');
    const card = await s.expect(/\[1\] (\w+)/);
    expect(card).toContain('[1] Accept');
    s.send('1');
    await s.expect('INC-000001: Accept done — now In progress.');

    await s.answer('suspend 1', 'Waiting for the vendor to ship a line card');
    await s.expect('now Suspended.');
    s.send('show 1');
    await s.expect('paused (suspended)');
    await s.answer('resume 1', 'Line card arrived');
    await s.expect('INC-000001: Resume done — now In progress.');
    await s.answer('resolve 1', '6', 'Replaced the line card; routing restored');
    await s.expect('INC-000001: Resolve done — now Resolved.');

    // Refused: first line cannot close before the reporter confirms.
    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    await s.answer('close 1', '1', '');
    await s.expect('! INC-000001 cannot be closed yet: Lin Na has not confirmed the resolution');

    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    await s.answer('confirm 1', 'Works again, thanks');
    await s.expect('INC-000001: Confirm resolution done — now Resolved.');

    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    // A card shown to someone else has no buttons for the new identity.
    s.send('1');
    await s.expect('No card with buttons yet: show an incident first.');
    await s.answer('close 1', '1', '');
    await s.expect('INC-000001: Close done — now Closed.');

    // Refused: nothing changes a closed incident.
    s.send('as liu.yang');
    await s.expect('You are acting as Liu Yang');
    await s.answer('update 1', 'one more thing');
    await s.expect('! INC-000001 was already closed by Chen Jing');
    expect(await s.quit()).toBe(0);

    // Restart on the same database: the incident and its whole timeline are still there.
    shell = new ShellDriver(env);
    const again = shell;
    await again.expect('You are acting as Chen Jing');
    again.send('show INC-000001');
    const after = await again.expect('└─');
    expect(after).toContain('Status: Closed');
    expect(after).toContain('Closure: Completed');
    again.send('timeline 1');
    // Notices still pending when the first process quit are delivered now; the timeline is one block.
    const timeline = await again.expect(/Timeline of INC-000001[\s\S]*?closed/);
    for (const step of ['reported', 'dispatched', 'rejected the dispatch', 're-dispatched', 'accepted', 'suspended', 'resumed', 'resolved', 'confirmed the resolution']) {
      expect(timeline).toContain(step);
    }
    expect(timeline).toContain('The switch is fine: the fault is in the routing application');
    expect(await again.quit()).toBe(0);
  }, 120_000);
});
