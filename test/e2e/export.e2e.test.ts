import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { slash, users } from '../support/discord/payloads.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config, people, reportInput } from '../support/fixtures.js';
import { SlackBot, slackUsers } from '../support/slack/slack-bot.js';

/**
 * The rows of an exported CSV, header first; CRLF between rows, as spreadsheets want. The file
 * starts with a UTF-8 byte-order mark, which a reader decoding it as UTF-8 consumes (the fakes do).
 */
function rowsOf(content: string, bom = false): string[][] {
  if (bom) expect(content.startsWith('\uFEFF')).toBe(true);
  expect(content).toContain('\r\n');
  return parse(content, { bom: true }) as string[][];
}

describe('search exported as CSV: the rows are the stored incidents', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(config);
  });
  afterAll(async () => t.close());

  it('GIVEN format:csv THEN every match is a row in the reader\'s words; hostile text stays text', async () => {
    const hostile = await t.app.service.report(people.user, reportInput({ title: '=HYPERLINK("http://evil.example","Printer, "jammed"")', description: 'printer tray 2' }));
    const plain = await t.app.service.report(people.user, reportInput({ title: 'Printer offline', description: 'printer on floor 4', category: 'hardware' }));
    await t.app.service.report(people.user, reportInput({ title: 'VPN slow', description: 'since 9' }));
    const reply = await t.app.run(people.desk, 'search', { text: 'printer format:csv' });
    expect(reply.text).toMatch(/^2 incident\(s\) matching "printer format:csv" exported as incidents-\d{8}-\d{4}\.csv\.$/);
    const rows = rowsOf(reply.file!.content, true);
    expect(rows[0]).toEqual(['id', 'title', 'status', 'priority', 'impact', 'urgency', 'category', 'area', 'service', 'ci', 'group', 'assignee', 'reporter', 'source', 'created', 'resolved', 'closed', 'target missed']);
    const byId = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect([...byId.keys()].sort()).toEqual([hostile.incident.id, plain.incident.id].sort());
    // A formula is written as text: a spreadsheet shows it, never runs it.
    expect(byId.get(hostile.incident.id)![1]).toBe(`'${hostile.incident.title}`);
    expect(byId.get(plain.incident.id)!.slice(1, 7)).toEqual(['Printer offline', 'Open', plain.incident.priority, '3', '3', 'Hardware']);
    expect(byId.get(plain.incident.id)![12]).toBe('Lin Na');

    const zh = await t.app.run(people.desk, 'search', { text: 'printer format:csv' }, { locale: 'zh-CN' });
    expect(rowsOf(zh.file!.content)[0]!.slice(0, 3)).toEqual(['编号', '标题', '状态']);
    expect((await t.app.run(people.desk, 'search', { text: 'printer format:pdf' })).text).toContain('"format:pdf": use one of csv');
    const none = await t.app.run(people.desk, 'search', { text: 'zeppelin format:csv' });
    expect(none.text).toBe('No incident matches "zeppelin format:csv".');
    expect(none.file).toBeUndefined();
  });
});

describe('the export on each platform', () => {
  let slack: SlackBot | undefined;
  let discord: DiscordHarness | undefined;
  afterEach(async () => {
    await slack?.close();
    await discord?.close();
    slack = undefined;
    discord = undefined;
  });

  it('GIVEN Slack THEN the CSV is uploaded into the asker\'s direct message (files.uploadV2) and the answer says so', async () => {
    slack = await SlackBot.start();
    const { incident } = await slack.app.service.report(people.user, reportInput({ title: 'Printer offline' }));
    const posted = await slack.slash(slackUsers.desk, 'search printer format:csv');
    await slack.idle();
    expect(slack.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n')).toContain('1 incident(s) matching "printer format:csv" exported as incidents-');
    const completed = slack.api.callsOf('files.completeUploadExternal');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.params.channel_id).toBe(slackUsers.desk.id);
    const [fileId] = [...slack.api.uploads.keys()];
    expect(slack.api.fileNames.get(fileId!)).toMatch(/^incidents-\d{8}-\d{4}\.csv$/);
    expect(rowsOf(slack.api.uploads.get(fileId!)!)[1]![0]).toBe(incident.id);
  });

  it('GIVEN Discord THEN the CSV is attached to the ephemeral answer', async () => {
    discord = await startDiscord();
    const { incident } = await discord.t.app.service.report(people.user, reportInput({ title: 'Printer offline' }));
    const base = slash(users.desk, 'help');
    const raw = await discord.deliver({ ...base, data: { ...base.data, name: 'incident-search', options: [{ type: 3, name: 'text', value: 'printer format:csv' }] } });
    const [callback] = discord.fake.callbacks(raw.id);
    expect(callback!.body.data.content).toContain('exported as incidents-');
    expect(callback!.files?.map((f) => f.name)).toEqual([expect.stringMatching(/^incidents-\d{8}-\d{4}\.csv$/)]);
    expect(rowsOf(callback!.files![0]!.content)[1]![0]).toBe(incident.id);
  });
});

describe('the monthly report on each platform', () => {
  let slack: SlackBot | undefined;
  let discord: DiscordHarness | undefined;
  afterEach(async () => {
    await slack?.close();
    await discord?.close();
    slack = undefined;
    discord = undefined;
  });
  // The test apps' clock stands in January 2026: an incident logged then is in "report month 2026-01".
  const REPORT_FILES = ['trend', 'overdue-by-priority', 'mean-time-by-priority', 'line-rate-by-category', 'per-person', 'reporter-priority'].map((n) => `month-2026-01-${n}.png`).concat('month-2026-01.csv');

  it('GIVEN Slack THEN "/incident report month 2026-01" uploads the six charts and the CSV together into the asker\'s direct message', async () => {
    slack = await SlackBot.start();
    await slack.app.service.report(people.user, reportInput({ title: 'Printer offline' }));
    const posted = await slack.slash(slackUsers.manager, 'report month 2026-01');
    await slack.idle();
    expect(slack.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n')).toContain('The monthly report for 2026-01: 6 charts and the tables as month-2026-01.csv are attached.');
    const completed = slack.api.callsOf('files.completeUploadExternal');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.params.channel_id).toBe(slackUsers.manager.id);
    expect([...slack.api.fileNames.values()].sort()).toEqual([...REPORT_FILES].sort());
  });

  it('GIVEN Discord THEN /incident-kpi answers and "/incident report" attaches the report\'s files', async () => {
    discord = await startDiscord();
    await discord.t.app.service.report(people.user, reportInput({ title: 'Printer offline' }));
    const base = slash(users.manager, 'help');
    const kpi = await discord.deliver({ ...base, data: { ...base.data, name: 'incident-kpi', options: [{ type: 3, name: 'text', value: '2026-01' }] } });
    expect(discord.fake.callbacks(kpi.id)[0]!.body.data.content).toContain('Incidents logged: 1 (before: 0; +1)');
    const raw = await discord.deliver(slash(users.manager, 'report', { title: 'month 2026-01' }));
    const answer = discord.answerOf(raw);
    expect(String(answer.content)).toContain('The monthly report for 2026-01');
    const files = discord.fake.callbacks(raw.id).flatMap((c) => c.files ?? []).concat(discord.fake.find('PATCH', '').flatMap((c) => c.files ?? []));
    expect(files.map((f) => f.name).sort()).toEqual([...REPORT_FILES].sort());
  });
});
