import { describe, expect, it } from 'vitest';
import { initialPriority, matrixPriority } from '../../src/domain/priority.js';
import type { Level } from '../../src/domain/incident.js';
import { config } from '../support/fixtures.js';

// SPEC §4, copied by hand: rows urgency 1..4, columns impact 1..4.
const SPEC_MATRIX = [
  ['P1', 'P2', 'P2', 'P3'],
  ['P2', 'P2', 'P3', 'P3'],
  ['P2', 'P3', 'P3', 'P4'],
  ['P3', 'P3', 'P4', 'P4'],
];
const cells = SPEC_MATRIX.flatMap((row, u) => row.map((expected, i) => ({ urgency: (u + 1) as Level, impact: (i + 1) as Level, expected })));

describe('priority = impact × urgency (SPEC §4)', () => {
  it.each(cells)('urgency $urgency × impact $impact → $expected', ({ impact, urgency, expected }) => {
    expect(matrixPriority(config.policy, impact, urgency)).toBe(expected);
    expect(initialPriority(config.policy, { impact, urgency, reporterVip: false }).priority).toBe(expected);
  });

  it('GIVEN a P1 cell THEN the incident is major', () => {
    expect(initialPriority(config.policy, { impact: 1, urgency: 1, reporterVip: false })).toMatchObject({ priority: 'P1', major: true });
  });

  const majorCategories = config.policy.categories.filter((c) => c.major).map((c) => c.id);
  it.each(majorCategories)('GIVEN the forced-major category %s with a P4 cell THEN it is P1 and major', (categoryId) => {
    const outcome = initialPriority(config.policy, { impact: 4, urgency: 4, categoryId, reporterVip: false });
    expect(outcome).toMatchObject({ priority: 'P1', major: true });
    expect(outcome.reasons).toEqual([`major_category:${categoryId}`]);
  });

  it('ships the six forced-major categories of SPEC §4', () => {
    expect(majorCategories).toHaveLength(6);
  });

  it('GIVEN a VIP reporter and a P4 cell THEN the priority is raised to P2', () => {
    const outcome = initialPriority(config.policy, { impact: 4, urgency: 4, reporterVip: true });
    expect(outcome).toMatchObject({ priority: 'P2', major: false, reasons: ['vip_reporter'] });
  });

  it('GIVEN a VIP reporter and a P1 cell THEN the priority stays P1', () => {
    expect(initialPriority(config.policy, { impact: 1, urgency: 1, reporterVip: true }).priority).toBe('P1');
  });
});
