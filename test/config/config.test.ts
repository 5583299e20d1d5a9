import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { loadEnv } from '../../src/config/env.js';
import { DEFAULT_CONFIG_PATH, loadConfigFile, parseConfigText } from '../../src/config/load-config.js';

const MIN = 60_000;
const shipped = readFileSync(DEFAULT_CONFIG_PATH, 'utf8');

describe('durations carry units', () => {
  it.each([
    ['90s', 90_000], ['15m', 15 * MIN], ['2h', 120 * MIN], ['1h30m', 90 * MIN], ['3d', 3 * 24 * 60 * MIN], ['500ms', 500],
  ])('%s = %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['15', 'm', '15 minutes', '-5m', ''])('rejects "%s"', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats back for people', () => {
    expect(formatDuration(90 * MIN)).toBe('1h 30m');
    expect(formatDuration(45_000)).toBe('45s');
  });
});

describe('the shipped policy reproduces SPEC.md', () => {
  const { policy } = loadConfigFile();
  const minutes = (ms: number) => ms / MIN;

  it('targets (SPEC §5)', () => {
    const table = Object.fromEntries(Object.entries(policy.targets).map(([p, t]) => [p, [t.respond, t.accept, t.resolve].map(minutes)]));
    expect(table).toEqual({ P1: [10, 15, 30], P2: [15, 30, 60], P3: [15, 30, 120], P4: [40, 60, 72 * 60] });
  });

  it('escalation (SPEC §6)', () => {
    const table = Object.fromEntries(Object.entries(policy.escalation).map(([p, tiers]) => [p, tiers.map((t) => minutes(t.after))]));
    expect(table).toEqual({ P1: [10, 15, 30], P2: [5, 10, 30], P3: [10, 15, 60], P4: [30, 60, 240] });
    expect(policy.escalation.P1.map((t) => t.roles)).toEqual([['project_manager', 'dev_lead'], ['maintenance_engineer', 'dev_engineer'], ['maintenance_manager']]);
  });

  it('notification (SPEC §7)', () => {
    const table = Object.fromEntries(Object.entries(policy.notification).map(([p, n]) => [p, n.steps.map((s) => `${s.roles[0]}@${minutes(s.after)}`)]));
    expect(table).toEqual({
      P1: ['project_manager@5', 'maintenance_manager@15', 'product_manager@20', 'deputy_director@30'],
      P2: ['project_manager@10', 'maintenance_manager@15', 'product_manager@30', 'deputy_director@60'],
      P3: ['project_manager@15', 'maintenance_manager@30', 'product_manager@60', 'deputy_director@90'],
      P4: ['project_manager@30', 'maintenance_manager@60'],
    });
    expect(policy.notification.P1.channels).toEqual(expect.arrayContaining(['mention', 'dm', 'webhook']));
    expect(policy.notification.P2.channels).toContain('dm');
  });

  it('stakeholder updates (SPEC §8)', () => {
    const table = Object.fromEntries(Object.entries(policy.updates).map(([p, u]) => [p, [u.first, u.every, u.afterResolution].map(minutes)]));
    expect(table).toEqual({ P1: [10, 30, 10], P2: [20, 60, 20], P3: [30, 120, 30], P4: [30, 120, 30] });
  });

  it('upgrades, duplicates window, dispatch limits, codes (SPEC §4, §9, §10, §11)', () => {
    expect(minutes(policy.upgrades.unresolvedAfter)).toBe(240);
    expect([policy.upgrades.unresolvedMinimum, policy.upgrades.vipMinimum]).toEqual(['P2', 'P2']);
    expect(minutes(policy.duplicates.window)).toBe(60);
    expect(policy.dispatch).toEqual({ maxReDispatches: 2, failedDispatchesToManager: 2 });
    // SPEC §11's eight, and one more for monitoring sources that resolve on their own (docs/alerts.md).
    expect(policy.resolutionCodes.filter((c) => c.id !== 'resolved-by-monitoring')).toHaveLength(8);
    expect(policy.resolutionCodes.map((c) => c.id)).toContain('resolved-by-monitoring');
    expect(policy.closureCodes.map((c) => c.id)).toEqual(['completed', 'not-completed', 'successful', 'successful-with-problem']);
  });
});

describe('a bad configuration file names the bad field', () => {
  it('reports the path of a bad duration', () => {
    const bad = shipped.replace('P1: { respond: 10m,', 'P1: { respond: soon,');
    expect(() => parseConfigText(bad, 'my.yml')).toThrow(/my\.yml has errors:\n\s+policy\.targets\.P1\.respond: expected a duration/);
  });

  it('reports an unknown person in a group', () => {
    const bad = shipped.replace('members: [li.wei, zhang.min]', 'members: [li.wei, nobody]');
    expect(() => parseConfigText(bad)).toThrow(/organisation\.groups\.2\.members\.1: unknown person "nobody"/);
  });

  it('reports a category mapped to a missing group', () => {
    const bad = shipped.replace('{ id: access, label: Access, group: applications', '{ id: access, label: Access, group: helpdesk');
    expect(() => parseConfigText(bad)).toThrow(/policy\.categories\.0\.group: unknown group "helpdesk"/);
  });

  it('reports broken YAML', () => {
    expect(() => parseConfigText('policy: [unclosed', 'x.yml')).toThrow(/x\.yml is not valid YAML/);
  });

  it('reports a missing file by path', () => {
    expect(() => loadConfigFile('/nope/incidents.yml')).toThrow(/Cannot read the configuration file \/nope\/incidents\.yml/);
  });
});

describe('environment variables', () => {
  it('has working defaults with nothing set', () => {
    expect(loadEnv({})).toMatchObject({ PORT: 3000, MONGODB_DB: 'incident_bot', DATA_DIR: '.data', SHELL_ADAPTER: 'auto' });
  });

  it('names an invalid variable', () => {
    expect(() => loadEnv({ PORT: 'eighty' })).toThrow(/PORT: /);
    expect(() => loadEnv({ MONGODB_URI: 'localhost:27017' })).toThrow(/MONGODB_URI: must start with mongodb:\/\//);
  });

  it('names the missing partner of a Slack token', () => {
    expect(() => loadEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_APP_TOKEN: SLACK_BOT_TOKEN needs SLACK_APP_TOKEN/);
  });
});
