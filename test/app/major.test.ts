import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { config, people } from '../support/fixtures.js';
import { startRecordedApp, type RecordingMessenger } from '../support/timers.js';
import { timelineLines } from '../../src/app/timeline-lines.js';

/**
 * A major incident managed (SPEC §12), through the chat protocol: the recovery plan saved as
 * versions (history, a version, a diff), action owners told and reminded, review meetings reminded
 * and a missed one escalated, the communication plan with an approval round, the management line's
 * summaries, and at the close the problem record and the post-incident review, whose timeline is
 * the event log's.
 */
describe('major-incident command: recovery plan, communications, reviews, the end', () => {
  let t: TestApp;
  let recorder: RecordingMessenger;
  let flush: () => Promise<void>;
  let run: (who: { id: string; name: string }, text: string) => ReturnType<TestApp['app']['run']>;
  let id = '';
  const mim = people.manager; // zhao.lei: major incident manager and incident manager
  const director = { id: 'gao.feng', name: 'Gao Feng' }; // department_director: approves all-staff updates

  beforeAll(async () => {
    ({ t, recorder, flush, say: run } = await startRecordedApp(config));
  });
  afterAll(async () => t.close());

  const to = (personId: string, rule: RegExp) => recorder.sent.filter((d) => d.destination.kind === 'person' && d.destination.personId === personId && rule.test(d.message.rule ?? ''));
  const inChannel = (channel: string, rule: RegExp) => recorder.sent.filter((d) => d.destination.kind === 'channel' && d.destination.channel === channel && rule.test(d.message.rule ?? ''));

  it('GIVEN a P1 THEN the recovery plan is saved as versions by its manager only, readable as history, one version and a diff; action owners are told', async () => {
    const reply = await t.app.run(people.user, 'report', { title: 'Core switch down', description: 'All floors lost the network at 09:00', impact: '1', urgency: '1' }, { submitted: true });
    id = /INC-\d+/.exec(reply.text ?? '')![0];
    const incident = (await t.app.store.load(id))!;
    expect(incident.comms?.audiences.map((a) => a.audience)).toEqual(['leadership', 'responders', 'all_staff', 'customers', 'partners', 'press', 'authorities']);
    expect((await run(mim, `plan ${id}`)).text).toBe(`${id} has no recovery plan yet. Start it: "plan ${id} facts <what is known>".`);
    expect((await run(people.user, `plan ${id} facts guess`)).text).toContain(`You cannot`);

    expect((await run(mim, `plan ${id} facts Core switch cs-1 rebooted at 09:00; all floors down`)).text).toContain('Saved as recovery plan v1.');
    await run(mim, `plan ${id} hypothesis 2 Power supply failure`);
    await run(mim, `plan ${id} hypothesis 4 Firmware 9.2 crashed the supervisor`);
    const action = await run(mim, `plan ${id} action li.wei +30m Fail over to the standby supervisor`);
    expect(action.text).toContain('Saved as recovery plan v4.');
    expect(action.text).toContain('#1 [open] Fail over to the standby supervisor — Li Wei');
    expect((await run(mim, `plan ${id} action nobody +30m x`)).text).toContain('nobody');
    expect((await run(mim, `plan ${id} action li.wei soon x`)).text).toBe('"soon" is not a time: write 14:30 (today), +30m, +2h or 2026-11-30 14:30.');
    expect((await run(mim, `plan ${id} hypothesis 9 x`)).text).toContain('likelihood is 1 (unlikely) to 5');
    await flush();
    expect(to(people.network.id, /^plan:action:1$/)[0]!.message.text).toContain(`${id}: recovery plan v4 gives you action #1: Fail over to the standby supervisor`);

    const current = (await run(people.network, `plan ${id}`)).text!;
    expect(current).toContain(`${id} recovery plan v4 (Zhao Lei`);
    expect(current.indexOf('(4/5) Firmware 9.2')).toBeLessThan(current.indexOf('(2/5) Power supply'));
    expect((await run(people.network, `plan ${id} history`)).text).toContain(`${id}: 4 version(s) of the recovery plan`);
    expect((await run(people.network, `plan ${id} v1`)).text).toContain(`${id} recovery plan v1`);
    const diff = (await run(people.network, `plan ${id} diff 1 4`)).text!;
    expect(diff).toContain('+   1. (4/5) Firmware 9.2 crashed the supervisor');
    expect(diff).toContain('+   #1 [open] Fail over to the standby supervisor — Li Wei');
    expect((await run(people.network, `plan ${id} v9`)).text).toContain('has no version 9');
    const timeline = JSON.stringify(await run(mim, `timeline ${id}`));
    expect(timeline.match(/saved the recovery plan/g)).toHaveLength(4);
  });

  it('GIVEN time passing THEN the action owner is reminded when it is due, the review is reminded, a missed review goes to the incident managers, the management line gets its summary', async () => {
    await t.app.run(people.desk, 'dispatch', { id, groupId: 'network' });
    await t.app.run(people.network, 'accept', { id });
    await flush();
    t.clock.advance(31 * 60_000);
    await flush();
    expect(to(people.network.id, /^plan-action:1:/)[0]!.message.text).toContain(`${id}: your recovery-plan action #1 is due now: Fail over to the standby supervisor`);
    await run(people.network, `plan ${id} done 1`).then((r) => expect(r.text).toContain('You cannot'));
    expect((await run(mim, `plan ${id} done 1`)).text).toContain('#1 [done]');
    expect((await run(mim, `plan ${id} done 1`)).text).toBe(`Action #1 of ${id}'s recovery plan is already done.`);
    // The plan was last saved now: the review is an hour later; missed after 15 more minutes with no new version.
    t.clock.advance(60 * 60_000);
    await flush();
    const review = to(people.network.id, /^review:/);
    expect(review.at(-1)!.message.text).toContain(`${id} "Core switch down": the recovery team's review is due`);
    expect(to(mim.id, /^review-missed:/)).toHaveLength(0);
    expect(inChannel('warroom', /^warroom:review:/).at(-1)!.message.text).toContain("the recovery team's review is due");
    t.clock.advance(16 * 60_000);
    await flush();
    expect(to(mim.id, /^review-missed:/).at(-1)!.message.text).toContain('was missed — no new recovery-plan version since');
    const summaries = inChannel('management', /^thread:management:/);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries[0]!.message.text).toContain(`Management summary — ${id} (P1) "Core switch down"`);
    // Two hours after it became major, management escalation reaches the department director, and the management line.
    t.clock.advance(14 * 60_000);
    await flush();
    expect(to('gao.feng', /^management-escalation:0$/)[0]!.message.text).toContain(`Management escalation 1/2: major incident ${id} (P1) "Core switch down" is still In progress 2h after it became major`);
    expect(inChannel('management', /^thread:management-escalation:0$/)).toHaveLength(1);
    // Each audience's update is reminded before it is due, to the major incident manager.
    expect(to(mim.id, /^comms:leadership:/)[0]!.message.text).toContain(`the update for leadership is due`);
  });

  it('GIVEN the communication plan THEN an update for leadership goes out at once; one for all staff waits for its approver, who rejects, then edits and approves', async () => {
    const leadership = await run(mim, `comms ${id} draft leadership Failover done; network back by 11:00`);
    expect(leadership.text).toContain('Update #1 for leadership: sent.');
    await flush();
    expect(inChannel('management', /^comms:posted:1$/)[0]!.message.text).toContain('update for leadership:\nFailover done; network back by 11:00');

    expect((await run(mim, `comms ${id} draft press x`)).text).toContain('Update #2 for press: waiting for approval.');
    expect((await run(mim, `comms ${id} draft investors x`)).text).toContain('has no audience "investors"; it has leadership, responders, all_staff');
    const staff = await run(mim, `comms ${id} draft all_staff The network is down; use the guest Wi-Fi`);
    expect(staff.text).toContain('Update #3 for all staff: waiting for approval.');
    await flush();
    const ask = to(director.id, /^comms:approve:3$/)[0]!;
    expect(ask.message.text).toContain(`${id}: Zhao Lei drafted update #3 for all staff. It goes out once you approve it:\n> The network is down; use the guest Wi-Fi`);
    expect(ask.message.card!.actions.map((a) => a.command)).toEqual(['comms-approve', 'comms-edit', 'comms-reject']);
    expect(inChannel('stakeholders', /^comms:posted:3$/)).toHaveLength(0);

    expect((await t.app.run(people.network, 'comms-approve', { id, draft: '3' })).text).toBe(`Update #3 of ${id} is approved by Gao Feng (or an incident manager).`);
    const form = await t.app.run(director, 'comms-reject', { id, draft: '3' });
    expect(form.form?.fields.map((f) => f.name)).toEqual(['reason']);
    expect(form.form?.args).toEqual({ id, draft: '3' });
    await t.app.run(director, 'comms-reject', { id, draft: '3', reason: 'Say when it will be back' });
    await flush();
    expect(to(mim.id, /^comms:rejected:3$/)[0]!.message.text).toContain('was rejected by Gao Feng: Say when it will be back');
    expect((await t.app.run(director, 'comms-approve', { id, draft: '3' })).text).toBe(`Update #3 of ${id} was already rejected (Gao Feng).`);

    await run(mim, `comms ${id} draft all_staff The network is down until 11:00`);
    const edit = await t.app.run(director, 'comms-edit', { id, draft: '4' });
    expect(edit.form?.fields[0]).toMatchObject({ name: 'text', initial: 'The network is down until 11:00' });
    await t.app.run(director, 'comms-edit', { id, draft: '4', text: 'The network is down until 11:00; use the guest Wi-Fi meanwhile' }, { submitted: true });
    await flush();
    expect(inChannel('stakeholders', /^comms:posted:4$/)[0]!.message.text).toContain('The network is down until 11:00; use the guest Wi-Fi meanwhile');
    expect(to(mim.id, /^comms:approved:4$/)[0]!.message.text).toContain('was approved by Gao Feng and has gone out');
    const shown = (await run(people.desk, `comms ${id}`)).text!;
    expect(shown).toContain('• all staff (all_staff) — stakeholder channel, every 1h');
    expect(shown).toContain('#4 [sent] all staff — Zhao Lei: The network is down until 11:00; use the guest Wi-Fi meanwhile');
  });

  it('GIVEN the incident closes THEN a problem record is linked and the post-incident review is written once, its timeline the event log\'s', async () => {
    await t.app.run(people.network, 'resolve', { id, resolutionCode: 'resolved-by-workaround', solution: 'Standby supervisor active; firmware rolled back' });
    await t.app.run(people.user, 'confirm', { id });
    await t.app.run(people.desk, 'close', { id, closureCode: 'successful' });
    await flush();
    const incident = (await t.app.store.load(id))!;
    expect(incident.links.problem).toBe('PRB-000001');
    const events = await t.app.service.timeline(id);
    expect(events.filter((e) => e.action === 'review-doc')).toHaveLength(1);
    const reply = await run(mim, `review ${id}`);
    expect(reply.file?.name).toBe(`${id}-post-incident-review.md`);
    const doc = reply.file!.content;
    for (const heading of ['# Post-incident review: ', '## Summary', '## Impact', '## Durations against targets', '## Timeline', '## Recovery plan versions', '### v1 ', '### v5 ', '## Communications sent', '## Actions still open', '## Problem record', 'PRB-000001']) {
      expect(doc).toContain(heading);
    }
    expect(doc).toContain('leadership · Zhao Lei: Failover done; network back by 11:00');
    expect(doc).toContain('all staff · Zhao Lei (approved by Gao Feng): The network is down until 11:00; use the guest Wi-Fi meanwhile');
    // The rejected draft is in the timeline, not among the communications sent.
    const sent = doc.slice(doc.indexOf('## Communications sent'), doc.indexOf('## Actions still open'));
    expect(sent).not.toContain('The network is down; use the guest Wi-Fi\n');
    expect(sent.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(2);
    // Every line of the timeline up to the close is in the document.
    const { presenter, m } = t.app.voice('en');
    const upToClose = events.slice(0, events.findIndex((e) => e.action === 'close') + 1);
    for (const line of timelineLines(presenter, m, upToClose, await t.app.service.notes.of(id))) expect(doc).toContain(line.replace(/\|/g, '\\|'));
    expect((await run(people.desk, `plan ${await notMajor()}`)).text).toContain('is not a major incident');
    // The same review as a PDF (pdfkit, offline): a document whose title is the review's.
    const pdf = await run(mim, `review ${id} pdf`);
    expect(pdf.file).toMatchObject({ name: `${id}-post-incident-review.pdf`, type: 'application/pdf', encoding: 'base64' });
    const bytes = Buffer.from(pdf.file!.content, 'base64');
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdfTitle(bytes)).toBe(`Post-incident review: ${id} — Core switch down`);
    expect((await run(mim, `review ${id} docx`)).text).toBe('Post-incident review: "review INC-…" (Markdown) or "review INC-… pdf".');
  });

  /** The Title of a PDF's Info dictionary: pdfkit writes it as its own object, a UTF-16BE string with a byte-order mark. */
  function pdfTitle(bytes: Buffer): string {
    const text = bytes.toString('latin1');
    const ref = /\/Title (\d+) 0 R/.exec(text)?.[1];
    const start = ref ? text.indexOf(`\n${ref} 0 obj\n(`) : -1;
    if (start < 0) return '';
    const from = text.indexOf('(', start) + 1;
    const raw = Buffer.from(text.slice(from, text.indexOf(')\nendobj', from)), 'latin1');
    return raw.subarray(2).swap16().toString('utf16le');
  }

  async function notMajor(): Promise<string> {
    const reply = await t.app.run(people.user, 'report', { title: 'Printer jam', description: 'x', impact: '4', urgency: '4' }, { submitted: true });
    return /INC-\d+/.exec(reply.text ?? '')![0];
  }
});

describe('the post-incident review as a PDF', () => {
  it('GIVEN Chinese text and no Chinese font THEN no PDF (the Markdown stays); an English review renders', async () => {
    const { reviewPdf, cjkFont } = await import('../../src/app/review-pdf.js');
    expect(cjkFont({ PDF_CJK_FONT: '/nowhere/font.ttc' })).toBeUndefined();
    expect(await reviewPdf('# 事后回顾：INC-000001 — 核心交换机宕机', null)).toBeUndefined();
    const english = await reviewPdf('# Post-incident review\n\n## Summary\n\n- a | b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n    v1 line', null);
    expect(english!.subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('a Chinese desk (config/default.zh-CN.yml): the major-incident command in Chinese', () => {
  it('GIVEN a P1 on the Chinese desk THEN the plan, the communication plan and the post-incident review read in Chinese', async () => {
    const { loadConfigFile } = await import('../../src/config/load-config.js');
    const { t, say } = await startRecordedApp(loadConfigFile('config/default.zh-CN.yml'));
    try {
      const reply = await t.app.run(people.user, 'report', { title: '核心交换机宕机', description: '全楼断网', impact: '1', urgency: '1' }, { submitted: true });
      const id = /INC-\d+/.exec(reply.text ?? '')![0];
      expect((await say(people.manager, `plan ${id} facts 09:00 cs-1 重启`)).text).toContain('已保存为恢复计划 v1。');
      expect((await say(people.manager, `plan ${id}`)).text).toContain('已知事实: 09:00 cs-1 重启');
      expect((await say(people.manager, `comms ${id} draft all_staff 网络将于 11:00 恢复`)).text).toContain('致全体员工的通报 #1：待审批。');
      expect((await say(people.user, `plan ${id} facts 猜测`)).text).toContain('你无权');
      await t.app.run(people.desk, 'dispatch', { id, groupId: 'network' });
      await t.app.run(people.network, 'accept', { id });
      await t.app.run(people.network, 'resolve', { id, resolutionCode: 'resolved-by-workaround', solution: '切换到备用引擎' });
      await t.app.run(people.user, 'confirm', { id });
      await t.app.run(people.desk, 'close', { id, closureCode: 'successful' });
      const doc = (await say(people.manager, `review ${id}`)).file!.content;
      for (const heading of [`# 事后回顾：${id} — 核心交换机宕机`, '## 概述', '## 各项目标用时', '## 时间线', '## 恢复计划各版本', '## 已发出的通报', '## 问题单']) expect(doc).toContain(heading);
    } finally {
      await t.close();
    }
  });
});
