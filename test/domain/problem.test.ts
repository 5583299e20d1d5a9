import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.js';
import { decideProblem, PROBLEM_ACTIONS, PROBLEM_STATUSES, type Problem, type ProblemAction, type ProblemRole, type ProblemStatus } from '../../src/domain/problem.js';
import { catalog, errorText } from '../../src/i18n/index.js';
import { T0 } from '../support/fixtures.js';

// The problem lifecycle, copied by hand: every allowed status change. Anything else must be refused.
const ALLOWED: Record<string, ProblemStatus> = {
  'open known-error': 'known_error',
  'open resolve': 'resolved',
  'known_error resolve': 'resolved',
  'resolved close': 'closed',
  'resolved reopen': 'open',
};
// Actions that keep the status, and where they apply.
const IN_PLACE: Record<ProblemAction, ProblemStatus[]> = {
  edit: ['open', 'known_error', 'resolved'],
  link: ['open', 'known_error', 'resolved'],
  assign: ['open', 'known_error', 'resolved'],
  publish: ['known_error', 'resolved'],
  'known-error': [],
  resolve: [],
  close: [],
  reopen: [],
};
const INPUT: Record<ProblemAction, Record<string, string>> = {
  edit: { note: 'more logs attached' },
  'known-error': { workaround: 'restart the relay' },
  resolve: { cause: 'a relay that sticks in the cold', resolution: 'heated relay fitted' },
  close: {},
  reopen: { reason: 'it happened again' },
  link: { incidentId: 'INC-000009' },
  assign: { ownerId: 'he.xin', ownerName: 'He Xin' },
  publish: { articleId: 'KB-000003' },
};
const ALL_ROLES = new Set<ProblemRole>(['owner', 'problem_manager', 'staff']);
const actor = { id: 'ma.jun', name: 'Ma Jun' };

function aProblem(status: ProblemStatus): Problem {
  return {
    id: 'PRB-000001', number: 1, rev: 3, title: 'Badge readers fail in the cold', description: 'Readers reject cards below 5 °C', status, ownerId: 'ma.jun',
    incidents: ['INC-000001'], cis: ['gate-2-reader'], services: [], origin: 'closure', createdAt: T0, updatedAt: T0, timeline: [],
    ...(status !== 'open' ? { workaround: 'power-cycle the reader' } : {}),
  };
}

function attempt(status: ProblemStatus, action: ProblemAction, roles = ALL_ROLES, input = INPUT[action]): Problem {
  return decideProblem({ problem: aProblem(status), actor, roles, input, now: new Date(T0.getTime() + 60_000), maxText: 3000 }, action);
}


describe('the problem lifecycle table: open → known error → resolved → closed', () => {
  for (const status of PROBLEM_STATUSES) {
    for (const action of PROBLEM_ACTIONS) {
      const to = ALLOWED[`${status} ${action}`];
      const inPlace = IN_PLACE[action].includes(status);
      if (to || inPlace) {
        it(`${status} + ${action} → ${to ?? status}, one revision later, on the timeline`, () => {
          const next = attempt(status, action);
          expect(next.status).toBe(to ?? status);
          expect(next.rev).toBe(4);
          expect(next.timeline.at(-1)).toMatchObject({ action, byId: 'ma.jun', byName: 'Ma Jun' });
        });
      } else {
        it(`${status} + ${action} is refused, saying when it works`, () => {
          const error = refusal(() => attempt(status, action));
          expect(error.code).toBe('problem_wrong_status');
          expect(errorText(error, catalog('en'))).toMatch(new RegExp(`^PRB-000001 is .+: "${action}" works when it is .+\\.$`));
        });
      }
    }
  }

  it('GIVEN staff who are not its owner THEN they may link incidents but not move the problem on', () => {
    const staff = new Set<ProblemRole>(['staff']);
    expect(attempt('open', 'link', staff).incidents).toEqual(['INC-000001', 'INC-000009']);
    const error = refusal(() => attempt('open', 'resolve', staff));
    expect(errorText(error, catalog('en'))).toBe('Only the problem\'s owner or a problem manager may "resolve" on PRB-000001.');
    expect(errorText(error, catalog('zh-CN'))).toBe('只有问题单负责人或问题经理可以对 PRB-000001 执行 "resolve"。');
    expect(refusal(() => attempt('open', 'assign', new Set<ProblemRole>(['owner']))).code).toBe('problem_not_allowed');
  });

  it('GIVEN what a move needs is missing THEN it is refused by name: a workaround for a known error, a cause and resolution to resolve, a reason to reopen', () => {
    expect(refusal(() => attempt('open', 'known-error', ALL_ROLES, {})).params).toMatchObject({ field: 'workaround' });
    expect(refusal(() => attempt('open', 'resolve', ALL_ROLES, { resolution: 'fixed' })).params).toMatchObject({ field: 'cause' });
    expect(refusal(() => attempt('open', 'resolve', ALL_ROLES, { cause: 'relay' })).params).toMatchObject({ field: 'resolution' });
    expect(refusal(() => attempt('resolved', 'reopen', ALL_ROLES, {})).params).toMatchObject({ field: 'reason' });
    expect(refusal(() => attempt('open', 'edit', ALL_ROLES, { title: 'x'.repeat(201) })).code).toBe('too_long');
  });

  it('GIVEN a reopen THEN the old resolution goes and the reason is on the timeline', () => {
    const next = decideProblem({ problem: { ...aProblem('resolved'), rootCause: 'relay', resolution: 'heated relay' }, actor, roles: ALL_ROLES, input: { reason: 'failed again at -10 °C' }, now: T0, maxText: 3000 }, 'reopen');
    expect(next.status).toBe('open');
    expect(next.resolution).toBeUndefined();
    expect(next.rootCause).toBe('relay');
    expect(next.timeline.at(-1)).toMatchObject({ action: 'reopen', note: 'failed again at -10 °C' });
  });
});
