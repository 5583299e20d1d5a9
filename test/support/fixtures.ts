import { Directory } from '../../src/domain/directory.js';
import type { Incident } from '../../src/domain/incident.js';
import { newIncident, type ReportInput } from '../../src/domain/report.js';
import { loadConfigFile } from '../../src/config/load-config.js';

/** The shipped default configuration: tests check the process against SPEC.md's own numbers. */
export const config = loadConfigFile();
export const directory = new Directory(config);

export const people = {
  desk: { id: 'chen.jing', name: 'Chen Jing' },
  desk2: { id: 'wang.fang', name: 'Wang Fang' },
  network: { id: 'li.wei', name: 'Li Wei' },
  network2: { id: 'zhang.min', name: 'Zhang Min' },
  apps: { id: 'liu.yang', name: 'Liu Yang' },
  infra: { id: 'sun.hao', name: 'Sun Hao' },
  manager: { id: 'zhao.lei', name: 'Zhao Lei' },
  user: { id: 'lin.na', name: 'Lin Na' },
  vip: { id: 'qian.yu', name: 'Qian Yu' },
} as const;

export const T0 = new Date('2026-01-05T09:00:00Z');

/** A report with sensible defaults; override any field. */
export function reportInput(overrides: Partial<ReportInput> = {}): ReportInput {
  return { title: 'VPN drops every few minutes', description: 'Since 9:00, for the whole floor', impact: 3, urgency: 3, ...overrides };
}

export function anIncident(overrides: Partial<Incident> = {}, input: Partial<ReportInput> = {}): Incident {
  const { incident } = newIncident(reportInput(input), { number: 42, actor: people.user, config, directory, now: T0 });
  return { ...incident, ...overrides };
}
