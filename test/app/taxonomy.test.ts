import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { areaChoices, placeOf } from '../../src/domain/taxonomy.js';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../src/config/load-config.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config, people } from '../support/fixtures.js';

/** The three-level taxonomy (SPEC §2, §16): category › area › sub-area, in the policy, checked on input, chosen in the forms. */
describe('taxonomy: category › area › sub-area', () => {
  const { policy } = config;

  it('GIVEN the shipped policy THEN its areas and sub-areas are choices written as paths, in each language', () => {
    const access = areaChoices(policy, 'en', 'access');
    expect(access).toEqual([
      { value: 'access/authorisation-error', label: 'Access › Authorisation error' },
      { value: 'access/login-failure', label: 'Access › Login failure' },
      { value: 'access/login-failure/vpn', label: 'Access › Login failure › VPN' },
      { value: 'access/login-failure/single-sign-on', label: 'Access › Login failure › Single sign-on' },
      { value: 'access/login-failure/e-mail', label: 'Access › Login failure › E-mail' },
    ]);
    expect(areaChoices(policy, 'en').length).toBeLessThanOrEqual(25);
  });

  it('GIVEN the choices asked again (kept from the first time) THEN each caller gets its own copy, in its own language', () => {
    const first = areaChoices(policy, 'en', 'access');
    first[0]!.label = 'changed by a caller';
    first.pop();
    expect(areaChoices(policy, 'en', 'access')).toHaveLength(5);
    expect(areaChoices(policy, 'en', 'access')[0]).toEqual({ value: 'access/authorisation-error', label: 'Access › Authorisation error' });
    const bilingual = loadConfigFile(resolve(DEFAULT_CONFIG_PATH, '../default.zh-CN.yml')).policy;
    expect(areaChoices(bilingual, 'en', 'access')[0]!.label).toBe('Access › Authorisation error');
    expect(areaChoices(bilingual, 'zh-CN', 'access')[0]!.label).toBe('访问 › 授权错误');
  });

  it('GIVEN a path THEN it is checked level by level, and against a category given with it', () => {
    expect(placeOf(policy, 'access/login-failure/vpn')).toEqual({ category: 'access', subcategory: 'login-failure', subarea: 'vpn' });
    expect(() => placeOf(policy, 'access/printing')).toThrow(expect.objectContaining({ code: 'unknown_area' }));
    expect(() => placeOf(policy, 'access/login-failure/printer')).toThrow(expect.objectContaining({ code: 'unknown_area' }));
    expect(() => placeOf(policy, 'nowhere/x')).toThrow(expect.objectContaining({ code: 'unknown_category' }));
    expect(() => placeOf(policy, 'data/lost', 'access')).toThrow(expect.objectContaining({ code: 'area_not_in_category' }));
  });

  describe('in the forms', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(config);
    });
    afterAll(async () => t.close());

    it('GIVEN a report with an area THEN the area names its category; the card shows the whole path; a wrong one is refused with the areas there are', async () => {
      const form = await t.app.run(people.user, 'report', {});
      expect(form.form?.fields.find((f) => f.name === 'subcategory')?.options?.map((o) => o.value)).toContain('access/login-failure/vpn');
      const reply = await t.app.run(people.user, 'report', { title: 'VPN refuses my password', description: 'Since the reset', impact: '4', urgency: '3', subcategory: 'access/login-failure/vpn' }, { submitted: true });
      const id = /INC-\d+/.exec(reply.text ?? '')![0];
      expect(await t.app.store.load(id)).toMatchObject({ category: 'access', subcategory: 'login-failure', subarea: 'vpn' });
      expect(reply.card?.fields).toEqual(expect.arrayContaining([{ label: 'Category', value: 'Access › Login failure › VPN', short: true }]));
      // Typed as its label, as the terminal allows.
      const typed = await t.app.run(people.user, 'report', { title: 'SSO loop', description: 'Portal', impact: '4', urgency: '4', subcategory: 'Access › Login failure › Single sign-on' }, { submitted: true });
      expect(await t.app.store.load(/INC-\d+/.exec(typed.text ?? '')![0])).toMatchObject({ subcategory: 'login-failure', subarea: 'single-sign-on' });
      const wrong = await t.app.run(people.user, 'report', { title: 'x', description: 'y', impact: '4', urgency: '4', category: 'data', subcategory: 'access/login-failure' }, { submitted: true });
      expect(wrong.text).toContain('"access/login-failure" is not an area of data');
    });

    it('GIVEN classify on an incident with a category THEN only its areas are offered; choosing one is checked', async () => {
      const reply = await t.app.run(people.user, 'report', { title: 'Cannot log in', description: 'Any app', impact: '4', urgency: '4', category: 'access' }, { submitted: true });
      const id = /INC-\d+/.exec(reply.text ?? '')![0];
      const form = await t.app.run(people.desk, 'classify', { id });
      expect(form.form?.fields.find((f) => f.name === 'subcategory')?.options?.every((o) => o.value.startsWith('access/'))).toBe(true);
      await t.app.run(people.desk, 'classify', { id, subcategory: 'access/login-failure/e-mail' }, { submitted: true });
      expect(await t.app.store.load(id)).toMatchObject({ category: 'access', subcategory: 'login-failure', subarea: 'e-mail' });
      // Another category's area is not among this form's choices: refused on the field, before anything is decided.
      const refused = await t.app.run(people.desk, 'classify', { id, category: 'access', subcategory: 'hardware/fault' }, { submitted: true });
      expect(refused.form?.errors?.subcategory).toContain('choose one of');
      expect(await t.app.store.load(id)).toMatchObject({ category: 'access', subcategory: 'login-failure', subarea: 'e-mail' });
    });
  });
});
