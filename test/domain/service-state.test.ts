import { describe, expect, it } from 'vitest';
import type { Priority, Status } from '../../src/domain/incident.js';
import { assess, type ServiceState, type StateInput } from '../../src/domain/service-state.js';
import { config } from '../support/fixtures.js';

const incident = (id: string, priority: Priority, extra: Partial<StateInput> = {}): StateInput => ({ id, title: `t-${id}`, status: 'open' as Status, priority, major: priority === 'P1', service: 'oa', ...extra });

/** The shipped rules (config/default.yml policy.statusPage), one open incident at a time. */
const ONE_INCIDENT: [string, StateInput, ServiceState][] = [
  ['a P1', incident('A', 'P1'), 'outage'],
  ['a P2 whose CI cannot work', incident('A', 'P2', { ciOperable: false }), 'outage'],
  ['a P2 whose CI still works', incident('A', 'P2', { ciOperable: true }), 'degraded'],
  ['a P3 whose CI cannot work', incident('A', 'P3', { ciOperable: false }), 'degraded'],
  ['a P4', incident('A', 'P4'), 'operational'],
  ['a P4 whose CI cannot work (one person affected)', incident('A', 'P4', { ciOperable: false }), 'operational'],
  ['a P4 declared major', incident('A', 'P4', { major: true }), 'degraded'],
  ['a P1 resolved', incident('A', 'P1', { status: 'resolved' }), 'operational'],
  ['a P1 suspended (still unresolved)', incident('A', 'P1', { status: 'suspended' }), 'outage'],
];

describe('a service state from its open incidents (policy.statusPage)', () => {
  it.each(ONE_INCIDENT)('GIVEN %s THEN the service is as the rules say', (_name, one, state) => {
    expect(assess([one], config.policy).state).toBe(state);
  });

  it('lists every open incident behind the state, worst first; a P1 by upgrade counts as major', () => {
    const result = assess([incident('C', 'P3'), incident('B', 'P1', { major: false }), incident('D', 'P4'), incident('E', 'P2', { status: 'closed' })], config.policy);
    expect(result).toEqual({
      state: 'outage',
      causes: [
        { id: 'B', title: 't-B', priority: 'P1', major: true },
        { id: 'C', title: 't-C', priority: 'P3', major: false },
      ],
    });
  });

  it('follows the policy file: rules are data', () => {
    const strict = { ...config.policy, statusPage: { ...config.policy.statusPage, outage: { priorities: [], ciInoperable: ['P4' as const], major: false }, degraded: { priorities: [], ciInoperable: [], major: false } } };
    expect(assess([incident('A', 'P1')], strict).state).toBe('operational');
    expect(assess([incident('A', 'P4', { ciOperable: false })], strict).state).toBe('outage');
  });
});
