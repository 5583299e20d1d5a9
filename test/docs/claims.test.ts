import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * Every claim true (issue 18): each row of the parity tables in README.md and docs/discord.md names
 * a capability; each platform marked "yes" must be backed here by test files that exist and name
 * what they exercise (a keyword the file contains). A new row without an entry, a "yes" with no
 * test, a test that was renamed away or no longer mentions the thing: this test fails.
 *
 * Where a command is exercised on the core only (the same command runs on every platform) the
 * evidence is that core test plus test/render/every-reply.test.ts, which runs every command and
 * renders its reply on the terminal, Slack and Discord.
 */
type Platform = 'slack' | 'discord' | 'terminal';
/** A test file and a string it must contain (case-insensitive): what shows the claim is exercised. */
type Evidence = readonly [file: string, keyword: string];
type Claim = Partial<Record<Platform, readonly Evidence[]>>;

const EVERY_REPLY: Evidence = ['test/render/every-reply.test.ts', 'registry.commands'];
const SLACK_FLOW = 'test/slack/flow.e2e.test.ts';
const DISCORD_FLOW = 'test/discord/discord.e2e.test.ts';
const SHELL = 'test/e2e/shell.e2e.test.ts';
const LIFECYCLE = 'test/domain/lifecycle.test.ts';

/** The same evidence on every platform: a command exercised on the core and rendered everywhere. */
const everywhere = (...evidence: Evidence[]): Claim => ({ slack: evidence, discord: evidence, terminal: evidence });

const report: Claim = {
  slack: [[SLACK_FLOW, 'report'], ['test/slack/adapter.e2e.test.ts', 'the report form opens']],
  discord: [[DISCORD_FLOW, '/incident report']],
  terminal: [[SHELL, 'report']],
};
const reportFromMessage: Claim = {
  slack: [['test/slack/adapter.e2e.test.ts', 'Report as incident']],
  discord: [['test/discord/discord.robust.test.ts', 'Report as incident']],
  terminal: [[SHELL, "s.answer('report "]],
};
const queue: Claim = {
  slack: [[SLACK_FLOW, "'list'"], ['test/slack/adapter.e2e.test.ts', 'Home tab']],
  discord: [['test/discord/discord.robust.test.ts', 'list'], EVERY_REPLY],
  terminal: [EVERY_REPLY, ['test/render/every-reply.test.ts', "'list'"]],
};
const showTimelineHelp: Claim = {
  slack: [[SLACK_FLOW, "'help'"], [SLACK_FLOW, 'show']],
  discord: [['test/discord/discord.gateway.test.ts', 'help'], [DISCORD_FLOW, 'timeline']],
  terminal: [[SHELL, 'timeline'], EVERY_REPLY],
};
const acceptReject: Claim = {
  slack: [[SLACK_FLOW, 'reject'], ['test/slack/renderer.test.ts', 'reject']],
  discord: [[DISCORD_FLOW, 'reject'], ['test/discord/discord.outbox.test.ts', 'Accept / Reject']],
  terminal: [[SHELL, 'accept'], [SHELL, 'reject']],
};
const redispatch: Claim = {
  slack: [[SLACK_FLOW, 'Re-dispatch / escalate']],
  discord: [[LIFECYCLE, 'redispatch'], EVERY_REPLY],
  terminal: [[SHELL, 'redispatch']],
};
const addUpdate: Claim = {
  slack: [[SLACK_FLOW, 'update']],
  discord: [[DISCORD_FLOW, 'update'], EVERY_REPLY],
  terminal: [[SHELL, "'update 1'"]],
};
const suspendResume = everywhere([LIFECYCLE, 'pending-change'], ['test/jobs/timers.behaviour.test.ts', 'suspend'], EVERY_REPLY);
const resolve: Claim = { slack: [[SLACK_FLOW, 'resolve']], discord: [[DISCORD_FLOW, 'resolves']], terminal: [[SHELL, 'resolve']] };
const confirmReopen: Claim = {
  slack: [[SLACK_FLOW, 'confirm'], [SLACK_FLOW, 'reopen']],
  discord: [[DISCORD_FLOW, 'Confirm resolution'], EVERY_REPLY],
  terminal: [[SHELL, "'confirm 1'"], EVERY_REPLY],
};
const closeWithdraw: Claim = {
  slack: [[SLACK_FLOW, 'close'], [LIFECYCLE, 'withdraw']],
  discord: [[DISCORD_FLOW, 'close'], [LIFECYCLE, 'withdraw']],
  terminal: [[SHELL, 'close'], [LIFECYCLE, 'withdraw']],
};
const duplicates = everywhere(['test/core/service.test.ts', 'mark-duplicate'], [LIFECYCLE, 'request-closure'], ['test/core/service.test.ts', 'recur'], EVERY_REPLY);
const declareMajor: Claim = {
  slack: [['test/slack/war-room.e2e.test.ts', 'declares']],
  discord: [['test/discord/discord.robust.test.ts', 'declare-major'], ['test/discord/discord.major.test.ts', 'P1 report']],
  terminal: [[LIFECYCLE, 'declare-major'], EVERY_REPLY],
};
const warRoom: Claim = {
  slack: [['test/slack/war-room.e2e.test.ts', 'war room is created once'], ['test/slack/major.e2e.test.ts', 'is_private']],
  discord: [['test/discord/discord.major.test.ts', 'private to the team']],
  terminal: [['test/e2e/shell.major.e2e.test.ts', 'War room of INC-000001']],
};
const refusals: Claim = {
  slack: [[SLACK_FLOW, 'ephemeral']],
  discord: [[DISCORD_FLOW, 'ephemeral']],
  terminal: [[SHELL, "s.expect('! You cannot"], [LIFECYCLE, 'a refusal says what this person could do']],
};
const notifications: Claim = {
  slack: [['test/slack/timers.e2e.test.ts', 'escalation'], ['test/slack/timers.e2e.test.ts', 'mention']],
  discord: [['test/discord/discord.outbox.test.ts', 'a mention in the service-desk channel'], ['test/discord/discord.outbox.test.ts', 'Accept / Reject']],
  terminal: [['test/e2e/shell.timers.e2e.test.ts', 'escalation']],
};
const timersInTimeline = everywhere(['test/jobs/timeline-notes.test.ts', "'timeline'"], EVERY_REPLY);
const admin = everywhere(['test/jobs/timers.behaviour.test.ts', "'admin', { topic: 'outbox' }"], ['test/outbox/email.test.ts', "'admin'"], EVERY_REPLY);

/** Row label (as written in the docs) → evidence per platform. */
const CLAIMS: Record<string, Claim> = {
  'Report an incident (form)': report,
  'Export a search as CSV': {
    slack: [['test/e2e/export.e2e.test.ts', 'files.completeUploadExternal']],
    discord: [['test/e2e/export.e2e.test.ts', 'attached to the ephemeral answer']],
    terminal: [['test/e2e/shell.caller.e2e.test.ts', 'format:csv']],
  },
  'Log for a caller (reporter, outside contact, source)': {
    slack: [['test/slack/caller.e2e.test.ts', 'Or an outside contact: name'], ['test/e2e/caller-email.e2e.test.ts', 'startSmtp']],
    discord: [['test/discord/discord.caller.test.ts', 'More details…'], ['test/e2e/caller-email.e2e.test.ts', 'startSmtp']],
    terminal: [['test/e2e/shell.caller.e2e.test.ts', 'Outside contact: Huang Lei'], ['test/e2e/caller-email.e2e.test.ts', 'startSmtp']],
  },
  'CI catalog: look up, search, add, retire': everywhere(['test/app/ci-catalog.test.ts', 'ci search'], EVERY_REPLY),
  'Knowledge base: offered on report, "This fixed it", drafts, publish': everywhere(['test/app/knowledge.test.ts', 'This fixed it'], EVERY_REPLY),
  'Verify / return a closed record, correct it': {
    slack: [['test/slack/closing-loop.e2e.test.ts', 'Return for correction'], ['test/slack/closing-loop.e2e.test.ts', 'Correct the record']],
    discord: [['test/discord/discord.closing-loop.test.ts', 'Return for correction'], ['test/discord/discord.closing-loop.test.ts', 'Correct the record']],
    terminal: [['test/e2e/shell.closing-loop.e2e.test.ts', "'verify 1'"], ['test/app/closing-loop.test.ts', "'correct'"]],
  },
  'Rate the service after closure': {
    slack: [['test/slack/closing-loop.e2e.test.ts', '★★★★ 4']],
    discord: [['test/discord/discord.closing-loop.test.ts', '★★★★★ 5']],
    terminal: [['test/e2e/shell.closing-loop.e2e.test.ts', "'rate 1 5"]],
  },
  'Problem records: raise, link, lifecycle, publish': {
    slack: [['test/slack/closing-loop.e2e.test.ts', "'problem PRB-000001'"], ['test/app/closing-loop.test.ts', 'problem publish'], EVERY_REPLY],
    discord: [['test/discord/discord.closing-loop.test.ts', "'incident-problem'"], ['test/app/closing-loop.test.ts', 'problem publish'], EVERY_REPLY],
    terminal: [['test/e2e/shell.closing-loop.e2e.test.ts', "'problem PRB-000001'"], ['test/domain/problem.test.ts', 'PROBLEM_ACTIONS']],
  },
  'Follow-up calls: the queue, record a call': {
    slack: [['test/slack/closing-loop.e2e.test.ts', "'followup'"], ['test/app/closing-loop.test.ts', 'reached satisfied'], EVERY_REPLY],
    discord: [['test/discord/discord.closing-loop.test.ts', "'incident-followup'"], ['test/app/closing-loop.test.ts', 'reached satisfied'], EVERY_REPLY],
    terminal: [['test/app/closing-loop.test.ts', 'reached satisfied'], EVERY_REPLY],
  },
  'KPIs of a period, beside the one before': {
    slack: [['test/app/kpi.test.ts', "'kpi'"], EVERY_REPLY],
    discord: [['test/e2e/export.e2e.test.ts', "'incident-kpi'"], ['test/app/kpi.test.ts', "'kpi'"]],
    terminal: [['test/app/kpi.test.ts', "'kpi'"], EVERY_REPLY],
  },
  'Follow a service: subscribe, told on each change and restore': everywhere(['test/app/service-status.test.ts', "'subscribe'"], ['test/discord/discord.robust.test.ts', 'incident-subscribe'], EVERY_REPLY),
  'Monthly and quarterly reports: charts and CSV as files': {
    slack: [['test/e2e/export.e2e.test.ts', "'report month 2026-01'"]],
    discord: [['test/e2e/export.e2e.test.ts', "slash(users.manager, 'report'"]],
    terminal: [['test/e2e/shell.caller.e2e.test.ts', 'report month ${month}']],
  },
  'Report from a message': reportFromMessage,
  'See my queue': queue,
  'Search by words (Chinese segmented)': {
    slack: [['test/slack/language.e2e.test.ts', 'search 邮件服务器无法连接']],
    discord: [['test/discord/discord.language.test.ts', 'incident-search']],
    terminal: [['test/e2e/shell.zh.e2e.test.ts', 'search 邮件服务器无法连接']],
  },
  'Each person in their own language (English, 中文)': {
    slack: [['test/slack/language.e2e.test.ts', 'users.info'], ['test/render/every-reply.test.ts', 'speaks Chinese']],
    discord: [['test/discord/discord.language.test.ts', "locale: 'zh-CN'"], ['test/discord/discord.robust.test.ts', 'name_localizations']],
    terminal: [['test/e2e/shell.zh.e2e.test.ts', 'lang en'], ['test/render/every-reply.test.ts', 'speaks Chinese']],
  },
  'Show a card / timeline, help': showTimelineHelp,
  'Show a card / timeline': showTimelineHelp,
  Help: showTimelineHelp,
  'Classify, change priority': everywhere(['test/app/pipeline.test.ts', 'classify'], ['test/domain/sla.test.ts', 'change-priority'], EVERY_REPLY),
  Dispatch: { slack: [[SLACK_FLOW, 'dispatch']], discord: [[DISCORD_FLOW, 'dispatch']], terminal: [[SHELL, 'dispatch']] },
  'Accept / Reject (reason + suggested group)': acceptReject,
  'Re-dispatch / escalate to the next line': redispatch,
  'Add update (stakeholder thread)': addUpdate,
  'Add update (to stakeholders)': addUpdate,
  'Suspend / Resume / Pending change': suspendResume,
  'Resolve (code + solution)': resolve,
  'Confirm / Reopen (reporter)': confirmReopen,
  'Close (closure code), Withdraw': closeWithdraw,
  'Mark duplicate, Request closure, Report recurrence': duplicates,
  'Declare major incident': declareMajor,
  'War room for a major incident, archived on close': warRoom,
  'Recovery plan: versions, history, diff, action owners reminded': {
    slack: [['test/slack/major.e2e.test.ts', 'edited in place'], ['test/app/major.test.ts', 'plan-action']],
    discord: [['test/discord/discord.major-command.test.ts', 'incident-plan'], ['test/app/major.test.ts', 'plan-action']],
    terminal: [['test/e2e/shell.major.e2e.test.ts', "'plan 1 diff 1 2'"], ['test/app/major.test.ts', 'plan-action']],
  },
  'Communication plan: updates, approval round': {
    slack: [['test/slack/major.e2e.test.ts', "'Approve'"]],
    discord: [['test/discord/discord.major-command.test.ts', "'Approve'"]],
    terminal: [['test/e2e/shell.major.e2e.test.ts', "'comms 1 draft"], ['test/app/major.test.ts', 'comms-reject']],
  },
  'Management line: summaries, leadership updates': {
    slack: [['test/slack/major.e2e.test.ts', 'Management summary']],
    discord: [['test/discord/discord.major-command.test.ts', 'management thread'], ['test/app/major.test.ts', 'Management summary']],
    terminal: [['test/app/major.test.ts', 'Management summary']],
  },
  'Post-incident review (Markdown, PDF)': {
    slack: [['test/slack/major.e2e.test.ts', 'files.completeUploadExternal']],
    discord: [['test/discord/discord.major-command.test.ts', 'post-incident-review.md']],
    terminal: [['test/e2e/shell.major.e2e.test.ts', "'review 1'"], ['test/app/major.test.ts', 'pdf']],
  },
  'Refused action explained only to the actor': refusals,
  'Escalations, notifications, reminders': notifications,
  'Notifications (DM, group, channel)': notifications,
  'Timers in the timeline (who was told, when, how)': timersInTimeline,
  'Admin: outbox and dead letters': admin,
  'Nothing lost or doubled when the bot is killed': {
    slack: [['test/chaos/chaos.test.ts', 'SIGKILL'], ['test/outbox/surface.test.ts', 'killed process'], ['test/slack/submission.e2e.test.ts', 'stopped before answering']],
    discord: [['test/chaos/chaos.test.ts', 'Discord over its gateway'], ['test/discord/discord.robust.test.ts', 'nothing is lost'], ['test/discord/discord.robust.test.ts', 'stopped before answering']],
    terminal: [['test/e2e/shell.timers.e2e.test.ts', 'crash']],
  },
};

interface ParityRow {
  doc: string;
  capability: string;
  cells: Partial<Record<Platform, string>>;
}

/** The rows of the table under the first heading that mentions "Parity". */
function parityRows(doc: string, text: string): ParityRow[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#+ .*parity/i.test(l));
  if (start < 0) return [];
  const table: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('|')) table.push(line);
    else if (table.length > 0) break;
  }
  const split = (line: string) => line.slice(1, line.lastIndexOf('|')).split('|').map((c) => c.trim());
  const [header, , ...body] = table;
  if (!header) return [];
  const platforms = split(header).map((h): Platform | undefined => (/slack/i.test(h) ? 'slack' : /discord/i.test(h) ? 'discord' : /terminal/i.test(h) ? 'terminal' : undefined));
  return body.map((line) => {
    const cells = split(line);
    const row: ParityRow = { doc, capability: cells[0] ?? '', cells: {} };
    platforms.forEach((platform, i) => {
      if (platform) row.cells[platform] = cells[i] ?? '';
    });
    return row;
  });
}

const DOCS = ['README.md', 'docs/discord.md'];
const rows = DOCS.filter((doc) => existsSync(doc)).flatMap((doc) => parityRows(doc, readFileSync(doc, 'utf8')));
const contents = new Map<string, string>();
const read = (file: string) => {
  if (!contents.has(file)) contents.set(file, existsSync(file) ? readFileSync(file, 'utf8').toLowerCase() : '');
  return contents.get(file)!;
};

/** Why a row is not backed, or nothing. */
function problems(row: ParityRow): string[] {
  const claim = CLAIMS[row.capability];
  const where = `${row.doc} parity row "${row.capability}"`;
  if (!claim) return [`${where} has no entry in CLAIMS (test/docs/claims.test.ts): list the tests that show it on each platform`];
  const out: string[] = [];
  for (const [platform, cell] of Object.entries(row.cells) as [Platform, string][]) {
    if (!/^yes\b/i.test(cell)) continue;
    const evidence = claim[platform] ?? [];
    if (evidence.length === 0) out.push(`${where} says "${cell}" for ${platform}, and CLAIMS lists no test for it`);
    for (const [file, keyword] of evidence) {
      if (!existsSync(file)) out.push(`${where} (${platform}): ${file} does not exist`);
      else if (!read(file).includes(keyword.toLowerCase())) out.push(`${where} (${platform}): ${file} does not mention "${keyword}"`);
    }
  }
  return out;
}

describe('the parity tables claim only what tests exercise', () => {
  it('finds the tables', () => {
    expect(rows.filter((r) => r.doc === 'README.md').length).toBeGreaterThanOrEqual(15);
    expect(rows.every((r) => Object.keys(r.cells).length === 3), 'every row has a Slack, a Discord and a terminal cell').toBe(true);
  });

  it('every row is in CLAIMS, and every "yes" has a test file that exists and names it', () => {
    expect(rows.flatMap(problems)).toEqual([]);
  });

  it('CLAIMS holds no row the docs no longer have', () => {
    const named = new Set(rows.map((r) => r.capability));
    expect(Object.keys(CLAIMS).filter((c) => !named.has(c))).toEqual([]);
  });

  it('a new row without tests fails the check', () => {
    const added = parityRows('README.md', '## Parity\n| action | Slack | Discord | terminal |\n|---|---|---|---|\n| Teleport the reporter | yes | yes | no |\n');
    expect(added.flatMap(problems)).toEqual(['README.md parity row "Teleport the reporter" has no entry in CLAIMS (test/docs/claims.test.ts): list the tests that show it on each platform']);
  });
});
