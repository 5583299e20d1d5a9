import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfigFile, parseConfigText } from '../../src/config/load-config.js';
import { say } from '../../src/i18n/index.js';

const shipped = readFileSync(DEFAULT_CONFIG_PATH, 'utf8');
const ZH_PATH = resolve(DEFAULT_CONFIG_PATH, '../default.zh-CN.yml');

describe('labels in the policy file, per language', () => {
  it('reads a plain label as English, and a map as one label per language', () => {
    const config = parseConfigText(shipped.replace('label: Network }', 'label: { en: Network, zh-CN: 网络 } }'));
    const network = config.policy.services.find((s) => s.id === 'network')!;
    expect(say(network.label, 'zh-CN')).toBe('网络');
    expect(say(network.label, 'en')).toBe('Network');
    const websites = config.policy.services.find((s) => s.id === 'websites')!;
    // No Chinese given: English stands in.
    expect(say(websites.label, 'zh-CN')).toBe('Websites');
  });

  it('refuses a map without English, or a language it does not know, naming where', () => {
    expect(() => parseConfigText(shipped.replace('label: Network }', 'label: { zh-CN: 网络 } }'))).toThrow(/services/);
    expect(() => parseConfigText(shipped.replace('label: Network }', 'label: { en: Network, fr: Réseau } }'))).toThrow(/services/);
    expect(() => parseConfigText(shipped.replace('  serviceDeskContact:', '  locale: de\n  serviceDeskContact:'))).toThrow(/locale/);
  });

  it('ships config/default.zh-CN.yml: the same process as the default, in the seeds\' terms, for a Chinese desk', () => {
    const zh = loadConfigFile(ZH_PATH);
    const en = loadConfigFile();
    expect(zh.organisation.locale).toBe('zh-CN');
    expect(en.organisation.locale).toBe('en');
    // Same numbers and ids: only words differ.
    expect(zh.policy.priorityMatrix).toEqual(en.policy.priorityMatrix);
    expect(zh.policy.targets).toEqual(en.policy.targets);
    expect(zh.policy.escalation).toEqual(en.policy.escalation);
    expect(zh.policy.categories.map((c) => c.id)).toEqual(en.policy.categories.map((c) => c.id));
    expect(zh.policy.closureCodes.map((c) => c.id)).toEqual(en.policy.closureCodes.map((c) => c.id));
    // English kept beside every Chinese label, and the same as the default's.
    expect(zh.policy.categories.map((c) => c.label.en)).toEqual(en.policy.categories.map((c) => c.label.en));
    const han = /\p{Script=Han}/u;
    for (const list of [zh.policy.impact, zh.policy.urgency, zh.policy.categories, zh.policy.services, zh.policy.resolutionCodes, zh.policy.closureCodes]) {
      for (const item of list) expect(say(item.label, 'zh-CN'), item.label.en).toMatch(han);
    }
    for (const group of zh.organisation.groups) expect(say(group.name, 'zh-CN')).toMatch(han);
    expect(say(zh.policy.impact[0]!.label, 'zh-CN')).toBe('非常重要');
    expect(say(zh.policy.closureCodes.find((c) => c.id === 'successful-with-problem')!.label, 'zh-CN')).toBe('成功但有问题');
  });
});
