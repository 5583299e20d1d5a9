import { describe, expect, it } from 'vitest';
import type { Actor, Relation } from '../../src/domain/directory.js';
import { refusal } from '../support/refusal.js';
import { applyChanges, STATUSES, type Incident, type Status } from '../../src/domain/incident.js';
import { decide, type ActionName } from '../../src/domain/lifecycle.js';
import { errorText } from '../../src/i18n/index.js';
import { T0, anIncident, config, directory, people } from '../support/fixtures.js';

// SPEC §3, copied by hand: every allowed status change. Anything else must be refused.
const SPEC_TRANSITIONS: Record<string, Status> = {
  'open dispatch': 'assigned',
  'open resolve': 'resolved',
  'open withdraw': 'closed',
  // Chosen: after a rejection, first line re-dispatches from open (counted as a re-dispatch, SPEC §9).
  'open redispatch': 'assigned',
  'assigned accept': 'in_progress',
  'assigned reject': 'open',
  'assigned redispatch': 'assigned',
  'assigned withdraw': 'closed',
  'in_progress redispatch': 'assigned',
  'in_progress suspend': 'suspended',
  'in_progress pending-change': 'pending_change',
  'in_progress resolve': 'resolved',
  'suspended resume': 'in_progress',
  'pending_change resume': 'in_progress',
  'resolved close': 'closed',
  'resolved reopen': 'in_progress',
};
const INPUTS: Partial<Record<ActionName, Record<string, unknown>>> = {
  dispatch: { groupId: 'network' },
  reject: { reason: 'not a network fault', suggestedGroupId: 'applications' },
  redispatch: { groupId: 'applications', reason: 'application bug' },
  suspend: { reason: 'vendor' },
  'pending-change': { change: 'CHG-7' },
  resolve: { resolutionCode: 'resolved-by-workaround', solution: 'restarted the gateway' },
  reopen: { reason: 'still broken' },
  close: { closureCode: 'completed' },
  withdraw: { reason: 'false report' },
};
const CHANGING: ActionName[] = ['dispatch', 'accept', 'reject', 'redispatch', 'suspend', 'resume', 'pending-change', 'resolve', 'reopen', 'close', 'withdraw'];
// Everyone a human can be at once (not the bot): the table, not the permissions, is under test here.
const EVERY_HUMAN = new Set<Relation>(['anyone', 'reporter', 'first_line', 'assignee', 'group_member', 'incident_manager', 'major_incident_manager']);

function inStatus(status: Status): Incident {
  // Open here means a group rejected it, so every action SPEC allows from open applies.
  const dispatched = status === 'open' ? { firstDispatchedAt: T0, lastGroupId: 'network' } : { groupId: 'network', assigneeId: people.network.id, firstDispatchedAt: T0, dispatchedAt: T0 };
  return anIncident({ status, ...dispatched, suspendedAt: status === 'suspended' ? T0 : undefined });
}

function attempt(incident: Incident, action: ActionName, actor: Actor, input: Record<string, unknown> = {}, relations = directory.relationsOf(actor, incident)) {
  return decide({ incident, actor, relations, input, config, directory, now: new Date(T0.getTime() + 60_000), related: new Map() }, action);
}


const cases = STATUSES.flatMap((status) => CHANGING.map((action) => ({ status, action, expected: SPEC_TRANSITIONS[`${status} ${action}`] })));

describe('the transition table matches SPEC §3', () => {
  it.each(cases)('$status + $action → $expected', ({ status, action, expected }) => {
    const run = () => attempt(inStatus(status), action, people.manager, INPUTS[action], EVERY_HUMAN);
    if (expected) expect(run().next.status).toBe(expected);
    else expect(refusal(run).code).toMatch(/^(wrong_status|already_\w+)$/);
  });
});

describe('who may do what (SPEC §1)', () => {
  const assigned = () => inStatus('assigned');

  it('GIVEN an incident assigned to Network WHEN Liu Yang of Applications accepts THEN he is refused and told who may', () => {
    const error = refusal(() => attempt(assigned(), 'accept', people.apps));
    expect(error.code).toBe('not_allowed');
    expect(errorText(error)).toBe('You cannot accept INC-000042: only the assignee, a member of the assigned group may.');
  });

  it('GIVEN an incident assigned to Li Wei WHEN his colleague Zhang Min accepts THEN she becomes the owner', () => {
    const next = attempt(assigned(), 'accept', people.network2).next;
    expect(next).toMatchObject({ status: 'in_progress', ownerId: people.network2.id, assigneeId: people.network2.id });
  });

  it('GIVEN an accepted incident WHEN someone else accepts THEN the refusal names who accepted', () => {
    const accepted = applyChanges(assigned(), attempt(assigned(), 'accept', people.network).next);
    expect(errorText(refusal(() => attempt(accepted, 'accept', people.network2)))).toBe('INC-000042 was already accepted by Li Wei.');
  });

  it('WHEN Li Wei rejects without a reason THEN he is told the reason is required', () => {
    expect(errorText(refusal(() => attempt(assigned(), 'reject', people.network, { suggestedGroupId: 'applications' })))).toBe('reason is required.');
  });

  it('WHEN Li Wei rejects without a suggested group THEN he is told it is required', () => {
    expect(refusal(() => attempt(assigned(), 'reject', people.network, { reason: 'not ours' })).params).toMatchObject({ field: 'suggestedGroupId' });
  });

  it('WHEN Li Wei rejects with reason and suggestion THEN the incident returns to first line unassigned', () => {
    const { next } = attempt(assigned(), 'reject', people.network, INPUTS.reject);
    expect(next).toMatchObject({ status: 'open', groupId: undefined, assigneeId: undefined, rejectCount: 1 });
  });

  it('GIVEN a resolved incident WHEN the resolver closes it THEN only first line or an incident manager may', () => {
    const resolved = inStatus('resolved');
    expect(refusal(() => attempt(resolved, 'close', people.network, INPUTS.close)).code).toBe('not_allowed');
  });

  it('GIVEN an unconfirmed resolution WHEN first line closes THEN the closure rule refuses; after the reporter confirms it closes', () => {
    const resolved = inStatus('resolved');
    expect(refusal(() => attempt(resolved, 'close', people.desk, INPUTS.close)).code).toBe('close_needs_confirmation');
    expect(refusal(() => attempt(resolved, 'confirm', people.network)).code).toBe('not_allowed');
    const confirmed = applyChanges(resolved, attempt(resolved, 'confirm', people.user).next);
    expect(attempt(confirmed, 'close', people.desk, INPUTS.close).next).toMatchObject({ status: 'closed', closureCode: 'completed', closedById: people.desk.id });
  });

  it('GIVEN an unconfirmed resolution WHEN the incident manager closes THEN the override is recorded', () => {
    const decision = attempt(inStatus('resolved'), 'close', people.manager, INPUTS.close);
    expect(decision.outcome.flags).toContain('closure_rule_overridden');
  });

  it('WHEN the reporter tries to withdraw THEN only first line may (the reporter requests closure instead)', () => {
    expect(refusal(() => attempt(inStatus('open'), 'withdraw', people.user, INPUTS.withdraw)).code).toBe('not_allowed');
    expect(attempt(inStatus('open'), 'request-closure', people.user, { reason: 'my mistake' }).next.closureRequested).toBe(true);
  });

  it('WHEN an unknown code is given THEN the refusal names it', () => {
    expect(errorText(refusal(() => attempt(inStatus('in_progress'), 'resolve', people.network, { resolutionCode: 'magic', solution: 'x' })))).toBe('There is no resolution code "magic".');
  });
});

describe('a refusal says what this person could do, in words (issue 18)', () => {
  // Chen Jing dispatched it to Li Wei: the last change is hers.
  const assigned = () => inStatus('assigned');
  const dispatchedByChen = () => ({ ...assigned(), lastChangeById: people.desk.id, lastChangeByName: people.desk.name });

  it('GIVEN an incident assigned to Li Wei WHEN he resolves before accepting THEN he is told he can once it is In progress (not the statuses only the bot resolves from)', () => {
    const error = refusal(() => attempt(dispatchedByChen(), 'resolve', people.network, INPUTS.resolve));
    expect(error.code).toBe('wrong_status');
    expect(errorText(error)).toBe('INC-000042 is Assigned (last change by Chen Jing): you can resolve it once it is In progress.');
  });

  it('GIVEN an assigned incident WHEN first line resolves THEN only their own first-line fix is offered: once it is Open', () => {
    expect(errorText(refusal(() => attempt(dispatchedByChen(), 'resolve', people.desk, INPUTS.resolve)))).toBe('INC-000042 is Assigned (last change by Chen Jing): you can resolve it once it is Open.');
  });

  it('GIVEN an assigned incident WHEN an incident manager resolves THEN both statuses they may resolve from are named', () => {
    expect(errorText(refusal(() => attempt(dispatchedByChen(), 'resolve', people.manager, INPUTS.resolve)))).toBe('INC-000042 is Assigned (last change by Chen Jing): you can resolve it once it is Open or In progress.');
  });

  it('GIVEN an assigned incident WHEN the reporter resolves THEN she is told who may, since no status would let her', () => {
    const error = refusal(() => attempt(assigned(), 'resolve', people.user, INPUTS.resolve));
    expect(error.code).toBe('not_allowed');
    expect(errorText(error)).toBe('You cannot resolve INC-000042: only first line (service desk), an incident manager, the assignee, a member of the assigned group may.');
  });
});

describe('dispatch rules (SPEC §9)', () => {
  it('GIVEN two rejected dispatches THEN dispatching is handed to the incident manager', () => {
    let incident = anIncident();
    for (let i = 0; i < 2; i++) {
      incident = applyChanges(incident, attempt(incident, 'dispatch', people.desk, { groupId: 'network' }).next);
      incident = applyChanges(incident, attempt(incident, 'reject', people.network, INPUTS.reject).next);
    }
    expect(incident.managerTakeover).toBe(true);
    expect(refusal(() => attempt(incident, 'dispatch', people.desk, { groupId: 'applications' })).code).toBe('manager_takeover');
    expect(attempt(incident, 'dispatch', people.manager, { groupId: 'applications' }).next.status).toBe('assigned');
  });

  it('GIVEN re-dispatches THEN cross-group ones are flagged and the third hands the incident to the incident manager', () => {
    let incident = applyChanges(anIncident(), attempt(anIncident(), 'dispatch', people.desk, { groupId: 'network' }).next);
    const route = ['network', 'applications', 'infrastructure'];
    const flags: string[][] = [];
    for (const groupId of route) {
      const decision = attempt(incident, 'redispatch', people.desk, { groupId, reason: 'wrong group' });
      flags.push(decision.outcome.flags ?? []);
      incident = applyChanges(incident, decision.next);
    }
    expect(incident.reDispatchCount).toBe(3);
    expect(flags[0]).not.toContain('cross_group_redispatch');
    expect(flags[1]).toContain('cross_group_redispatch');
    expect(flags[1]).not.toContain('manager_takeover');
    expect(flags[2]).toContain('manager_takeover');
    expect(incident.managerTakeover).toBe(true);
  });

  it('WHEN dispatching to a person outside the group THEN it is refused', () => {
    const error = refusal(() => attempt(inStatus('open'), 'dispatch', people.desk, { groupId: 'network', assigneeId: people.apps.id }));
    expect(errorText(error)).toBe('Liu Yang is not a member of Network.');
  });
});

describe('priority changes keep a log with a reason', () => {
  it('WHEN classification changes the priority without a reason THEN it is refused', () => {
    expect(refusal(() => attempt(inStatus('open'), 'classify', people.desk, { impact: 1, urgency: 1 })).code).toBe('priority_reason_required');
  });

  it('WHEN the incident manager declares a major incident THEN it becomes P1 with its manager named', () => {
    const { next } = attempt(inStatus('in_progress'), 'declare-major', people.manager, { reason: 'all branches down' });
    expect(next).toMatchObject({ major: true, priority: 'P1', majorIncidentManagerId: 'zhao.lei' });
    expect(next.priorityLog?.at(-1)).toMatchObject({ from: 'P3', to: 'P1', reason: 'all branches down' });
  });
});

describe('dispatch after a rejection (SPEC §9)', () => {
  it('GIVEN Network rejected WHEN first line re-dispatches from open to Applications THEN it counts as a cross-group re-dispatch', () => {
    let incident = anIncident();
    incident = applyChanges(incident, attempt(incident, 'dispatch', people.desk, { groupId: 'network' }).next);
    incident = applyChanges(incident, attempt(incident, 'reject', people.network, INPUTS.reject).next);
    expect(incident).toMatchObject({ status: 'open', lastGroupId: 'network', reDispatchCount: 0 });
    const decision = attempt(incident, 'redispatch', people.desk, { groupId: 'applications', reason: 'suggested by Network' });
    expect(decision.next).toMatchObject({ status: 'assigned', groupId: 'applications', reDispatchCount: 1 });
    expect(decision.outcome.flags).toContain('cross_group_redispatch');
  });

  it('GIVEN a never-dispatched incident WHEN someone re-dispatches THEN they are told to dispatch', () => {
    expect(refusal(() => attempt(anIncident(), 'redispatch', people.desk, { groupId: 'network', reason: 'x' })).code).toBe('never_dispatched');
  });
});
