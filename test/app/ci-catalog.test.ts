import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ciReferences, readCiFile } from '../../src/domain/ci.js';
import { catalog, errorText } from '../../src/i18n/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config, people } from '../support/fixtures.js';

const refs = ciReferences(config);

describe('CI catalog file: good rows kept, broken rows reported by line', () => {
  it('GIVEN a CSV with broken rows THEN each is named with its line and why; the good ones are read', () => {
    const csv = [
      'id,name,type,service,ownerGroup,location,status',
      'core-sw-1,Core switch 1,switch,network,network,HQ,active',
      ',No id,switch,network,network,HQ,active',
      'mail-01,,server,oa,applications,HQ,active',
      'fin-db-01,Finance DB,database,payroll,infrastructure,HQ,active',
      'gis-01,GIS server,server,gis,cartography,HQ,active',
      'core-sw-1,Core switch again,switch,network,network,HQ,active',
      'old-pbx,Old PBX,pbx,,network,HQ,scrapped',
      'bad id!,Bad,switch,,,,',
      'vc-01,"Video bridge, floor 2",mcu,video-conferencing,infrastructure,"Floor 2",retired',
    ].join('\n');
    const { items, problems: found } = readCiFile(csv, 'csv', refs);
    const problems = found.map(({ line, problem }) => ({ line, message: errorText(problem) }));
    expect(items.map((i) => i.id)).toEqual(['core-sw-1', 'vc-01']);
    expect(items[1]).toEqual({ id: 'vc-01', name: 'Video bridge, floor 2', type: 'mcu', service: 'video-conferencing', ownerGroup: 'infrastructure', location: 'Floor 2', status: 'retired' });
    expect(problems).toEqual([
      { line: 3, message: 'id is missing' },
      { line: 4, message: 'name is missing' },
      { line: 5, message: 'service "payroll" is not in the policy' },
      { line: 6, message: 'ownerGroup "cartography" is not a group of the organisation' },
      { line: 7, message: 'id "core-sw-1" appears earlier in the file' },
      { line: 8, message: 'status "scrapped" must be active or retired' },
      { line: 9, message: 'id "bad id!" may only hold letters, digits and - _ . / :' },
    ]);
    // The same rows for a Chinese desk.
    expect(errorText(found[2]!.problem, catalog('zh-CN'))).toBe('服务“payroll”不在策略中');
  });

  it('GIVEN YAML THEN the same checks apply; an unknown column is named', () => {
    const yaml = 'cis:\n  - { id: mail-01, name: Mail server 1, service: oa }\n  - { id: mail-02, name: Mail server 2, colour: blue }\n';
    const { items, problems: found } = readCiFile(yaml, 'yaml', refs);
    const problems = found.map(({ line, problem }) => ({ line, message: errorText(problem) }));
    expect(items).toEqual([{ id: 'mail-01', name: 'Mail server 1', service: 'oa', status: 'active' }]);
    expect(problems).toEqual([{ line: 2, message: 'unknown column "colour" (columns: id, name, type, service, ownerGroup, location, status)' }]);
    expect(() => readCiFile('just: a map', 'yaml', refs)).toThrow('the YAML file must be a list of CIs');
  });
});

describe('CI catalog in use: loaded at start, named on reports, maintained with ci commands', () => {
  let t: TestApp;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-catalog-'));
    const file = join(dir, 'cis.csv');
    writeFileSync(file, 'id,name,type,service,ownerGroup,location,status\ncore-sw-1,Core switch 1,switch,network,network,HQ,active\nmail-01,Mail server 1,server,oa,applications,HQ,active\nbroken,,,,,,\n');
    t = await startTestApp(config, { env: { CI_CATALOG: file } });
    await t.bot.start();
  });
  afterAll(async () => {
    await t.bot.stop();
    await t.close();
  });

  const run = (who: { id: string; name: string }, text: string) => {
    const parsed = t.app.registry.parseText(text)!;
    return t.app.run(who, parsed.name, parsed.args);
  };

  it('GIVEN the file at start THEN its good rows are in the catalog', async () => {
    expect(await t.app.service.catalog.get('core-sw-1')).toEqual({ id: 'core-sw-1', name: 'Core switch 1', type: 'switch', service: 'network', ownerGroup: 'network', location: 'HQ', status: 'active' });
    expect(await t.app.service.catalog.count()).toBe(2);
  });

  it('GIVEN a report naming a CI by name THEN it is stored as the catalog id, brings its service, and dispatch suggests its owner group', async () => {
    const reply = await t.app.run(people.user, 'report', { title: 'Mail is slow', description: 'Minutes per message', impact: '3', urgency: '3', ci: 'mail server 1' }, { submitted: true });
    const id = /INC-\d+/.exec(reply.text ?? '')![0];
    expect(await t.app.store.load(id)).toMatchObject({ ci: 'mail-01', ciInCatalog: true, service: 'oa' });
    expect(reply.text).not.toContain('not in the catalog');
    const form = await t.app.run(people.desk, 'dispatch', { id });
    expect(form.form?.fields.find((f) => f.name === 'groupId')?.initial).toBe('applications');
  });

  it('GIVEN a CI the catalog does not hold THEN the text is kept and flagged "not in catalog"; a retired CI is refused', async () => {
    const reply = await t.app.run(people.user, 'report', { title: 'Printer offline', description: 'Floor 4', impact: '4', urgency: '4', ci: 'printer-4f' }, { submitted: true });
    expect(reply.text).toContain('CI "printer-4f" is not in the catalog: kept as typed.');
    expect(reply.card?.fields).toEqual(expect.arrayContaining([{ label: 'CI', value: 'printer-4f (not in catalog)', short: true }]));

    expect((await run(people.user, 'ci retire core-sw-1')).text).toBe('Only the service desk (first line) and process owners can add or retire CIs.');
    expect((await run(people.desk, 'ci retire core-sw-1')).text).toContain('CI core-sw-1 is retired');
    const refused = await t.app.run(people.user, 'report', { title: 'Network down', description: 'All floors', impact: '2', urgency: '2', ci: 'core-sw-1' }, { submitted: true });
    expect(refused.text).toContain('CI core-sw-1 is retired');
  });

  it('GIVEN ci add, ci search and ci <id> THEN the CI is saved, found, and shown with its incidents, open and past', async () => {
    expect((await run(people.desk, 'ci add fin-db-01 name=Finance database type=database service=finance group=infrastructure location=HQ DC')).text).toBe('CI fin-db-01 — Finance database is in the catalog.');
    expect((await run(people.desk, 'ci add fin-db-02 colour=red')).text).toBe('colour=red: use name=, type=, service=, group=, ownergroup=, location=');
    expect((await run(people.desk, 'ci add fin-db-02 name=Other service=payroll')).text).toBe('The CI was not saved: service "payroll" is not in the policy.');
    expect((await t.app.run(people.desk, 'ci', { action: 'add', text: 'fin-db-02 name=Other service=payroll' }, { locale: 'zh-CN' })).text).toBe('配置项未保存：服务“payroll”不在策略中。');
    expect((await run(people.user, 'ci search finance')).text).toBe('1 CI(s) match "finance"\nfin-db-01 — Finance database · Finance · Infrastructure');

    const first = await t.app.run(people.user, 'report', { title: 'Ledger export fails', description: 'Month end', impact: '3', urgency: '3', ci: 'fin-db-01' }, { submitted: true });
    const closedId = /INC-\d+/.exec(first.text ?? '')![0];
    await t.app.run(people.desk, 'withdraw', { id: closedId, closureCode: 'false-report', reason: 'user error' });
    const second = await t.app.run(people.user, 'report', { title: 'Ledger slow', description: 'Since 9', impact: '3', urgency: '3', ci: 'FIN-DB-01' }, { submitted: true });
    const openId = /INC-\d+/.exec(second.text ?? '')![0];

    const shown = await run(people.user, 'ci fin-db-01');
    expect(shown.text).toBe('CI fin-db-01 — Finance database\nType: database · Service: Finance · Owner: Infrastructure · Location: HQ DC\nIncidents: 1 open, 2 in all');
    expect(shown.sections?.map((s) => [s.heading, s.items.map((i) => i.incidentId)])).toEqual([['Open incidents', [openId]], ['Past incidents', [closedId]]]);
    expect((await run(people.user, 'ci nothing-here')).text).toBe('There is no CI "nothing-here" in the catalog. "ci search <words>" finds CIs.');
  });
});
