import { describe, expect, it } from 'vitest';
import { decide, type ActionName } from '../../src/domain/lifecycle.js';
import { applyChanges, type Incident, type Level } from '../../src/domain/incident.js';
import type { Actor } from '../../src/domain/directory.js';
import { T0, anIncident, config, directory, people } from '../support/fixtures.js';

const MIN = 60_000;
// SPEC §5, copied by hand: minutes for respond, accept, resolve.
const SPEC_TARGETS = [
  { priority: 'P1', impact: 1, urgency: 1, respond: 10, accept: 15, resolve: 30 },
  { priority: 'P2', impact: 2, urgency: 2, respond: 15, accept: 30, resolve: 60 },
  { priority: 'P3', impact: 3, urgency: 3, respond: 15, accept: 30, resolve: 120 },
  { priority: 'P4', impact: 4, urgency: 4, respond: 40, accept: 60, resolve: 72 * 60 },
] as const;

function step(incident: Incident, action: ActionName, actor: Actor, at: Date, input: Record<string, unknown> = {}): Incident {
  const relations = directory.relationsOf(actor, incident);
  const decision = decide({ incident, actor, relations, input, config, directory, now: at, related: new Map() }, action);
  return { ...applyChanges(incident, decision.next), rev: incident.rev + 1 };
}
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);

describe('SLA due times (SPEC §5)', () => {
  it.each(SPEC_TARGETS)('$priority: respond $respond min, accept $accept min after dispatch, resolve $resolve min after accept', (row) => {
    let incident = anIncident({}, { impact: row.impact as Level, urgency: row.urgency as Level });
    expect(incident.priority).toBe(row.priority);
    expect(incident.sla.respond.dueAt).toEqual(at(row.respond));
    incident = step(incident, 'dispatch', people.desk, at(3), { groupId: 'network' });
    expect(incident.sla.respond.metAt).toEqual(at(3));
    expect(incident.sla.accept.dueAt).toEqual(at(3 + row.accept));
    incident = step(incident, 'accept', people.network, at(5));
    expect(incident.sla.accept.metAt).toEqual(at(5));
    expect(incident.sla.resolve.dueAt).toEqual(at(5 + row.resolve));
  });

  it('GIVEN a P3 in progress WHEN it is suspended for 45 minutes THEN the resolve due time moves by 45 minutes', () => {
    let incident = anIncident();
    incident = step(incident, 'dispatch', people.desk, at(1), { groupId: 'network' });
    incident = step(incident, 'accept', people.network, at(2));
    const before = incident.sla.resolve.dueAt!;
    incident = step(incident, 'suspend', people.network, at(10), { reason: 'waiting for the vendor' });
    expect(incident.status).toBe('suspended');
    incident = step(incident, 'resume', people.network, at(55));
    expect(incident.pausedMs).toBe(45 * MIN);
    expect(incident.sla.resolve.dueAt).toEqual(new Date(before.getTime() + 45 * MIN));
  });

  it('GIVEN a re-dispatch THEN the accept clock starts again from the new dispatch', () => {
    let incident = anIncident();
    incident = step(incident, 'dispatch', people.desk, at(1), { groupId: 'network' });
    incident = step(incident, 'redispatch', people.network, at(20), { groupId: 'applications', reason: 'application bug' });
    expect(incident.sla.accept.dueAt).toEqual(at(20 + 30));
    expect(incident.sla.accept.metAt).toBeUndefined();
  });

  it('GIVEN a priority change THEN the due times follow the new priority', () => {
    let incident = anIncident();
    incident = step(incident, 'change-priority', people.desk, at(1), { priority: 'P1', reason: 'whole floor affected' });
    expect(incident.sla.respond.dueAt).toEqual(at(10));
    expect(incident.priorityLog.at(-1)).toMatchObject({ from: 'P3', to: 'P1', reason: 'whole floor affected', byId: people.desk.id });
  });
});
