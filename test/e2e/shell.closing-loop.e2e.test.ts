import { afterAll, describe, expect, it } from 'vitest';
import { ShellDriver, shellDatabase } from '../support/shell-driver.js';

/**
 * The terminal chat after the close (SPEC §11): a closure "successful with problem" raises a
 * problem record and asks the team lead to verify and the reporter to rate; each is typed here.
 */
describe('the terminal chat: closing the loop', () => {
  const db = shellDatabase('closing');
  let shell: ShellDriver | undefined;

  afterAll(() => db.cleanup(shell));

  it('raises the problem, has the lead verify and the reporter rate once; the card and search show it', async () => {
    shell = new ShellDriver(db.env);
    const s = shell;
    await s.expect('You are acting as Chen Jing');
    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    await s.answer('report Badge reader rejects cards', 'Gate 2, every card', '3', '3', '', '', '', '', '', '', '');
    await s.expect('Logged INC-000001');
    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    await s.answer('resolve 1', '6', 'Power-cycled the reader');
    await s.expect('INC-000001: Resolve done — now Resolved.');
    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    await s.answer('confirm 1', '');
    await s.expect('now Resolved.');
    s.send('as chen.jing');
    await s.expect('You are acting as Chen Jing');
    await s.answer('close 1', '4', '');
    const closed = await s.expect('INC-000001: Close done — now Closed.');
    expect(s.all()).toContain('a problem record is raised');
    // The notices arrive in their own time, around the reply: the lead's, the problem owner's, the reporter's.
    const notices = ['As team lead, check the record', 'Problem PRB-000001 was raised from INC-000001', 'How did we do? Rate the service from 1 (poor) to 5 (excellent)'];
    for (let i = 0; i < 200 && !notices.every((n) => s.all().includes(n)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const notice of notices) expect(s.all()).toContain(notice);
    expect(closed).toBeTruthy();

    s.send('as wang.fang');
    await s.expect('You are acting as Wang Fang');
    await s.answer('verify 1', 'Record is complete');
    await s.expect('INC-000001: Verify done — now Closed.');
    s.send('verify 1');
    await s.expect('! INC-000001 was already verified by Wang Fang.');

    s.send('as lin.na');
    await s.expect('You are acting as Lin Na');
    s.send('rate 1 5 Fixed within the hour');
    await s.expect('Thank you: you rated INC-000001 5/5.');
    s.send('rate 1 1');
    await s.expect('! Thank you, you already rated INC-000001 (5/5); a rating is given once.');

    s.send('as ma.jun');
    await s.expect('You are acting as Ma Jun');
    s.send('problem PRB-000001');
    await s.expect('Owner: Ma Jun · raised from a closure "successful with problem" · incidents: INC-000001');
    s.send('show 1');
    const card = await s.expect('└─');
    expect(card).toContain('Problem: PRB-000001');
    expect(card).toContain('Satisfaction: 5/5 — Fixed within the hour');
    expect(card).toMatch(/Verification: verified by Wang Fang \d{4}-/);
    s.send('search verified:no');
    await s.expect('No incident matches');
    s.send('search verified:yes');
    await s.expect('INC-000001');
    expect(await s.quit()).toBe(0);
  });
});
