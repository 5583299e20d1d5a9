import { SYSTEM_ACTOR, type Actor } from '../domain/directory.js';
import { UserError } from '../domain/errors.js';
import type { Incident } from '../domain/incident.js';
import { permittedRow } from '../domain/lifecycle.js';
import { decideProblem, parseProblemRef, type Problem, type ProblemAction, type ProblemOrigin, type ProblemRole } from '../domain/problem.js';
import type { IncidentService } from './incident-service.js';

const MAX_ATTEMPTS = 8;

/**
 * Problem management on top of the incident service: raising a problem from an incident (by hand,
 * from a "successful with problem" closure, at the end of a major incident), linking more
 * incidents, and every other change through the problem's own lifecycle table. The incident side
 * of a link is the incident action `link-problem`, so it is on the incident's timeline and card.
 */
export class Problems {
  constructor(private readonly service: IncidentService) {}

  /** What the actor is to this problem. The bot counts as a problem manager. */
  rolesOf(actor: Actor, problem: Problem): Set<ProblemRole> {
    const { directory } = this.service;
    const roles = new Set<ProblemRole>();
    if (problem.ownerId === actor.id) roles.add('owner');
    if (actor.id === SYSTEM_ACTOR.id || directory.problemManagers().includes(actor.id) || directory.isIncidentManager(actor.id)) roles.add('problem_manager');
    if (roles.size > 0 || directory.groupsOf(actor.id).length > 0) roles.add('staff');
    return roles;
  }

  async get(ref: string | undefined): Promise<Problem> {
    const id = parseProblemRef(ref);
    const found = id ? await this.service.problems.get(id) : undefined;
    if (!found) throw new UserError('problem_not_found', { id: (ref ?? '').slice(0, 40) });
    return found;
  }

  /**
   * A problem raised from an incident, owned by the first problem manager, and the incident linked
   * to it. An incident already linked to a problem keeps it (returned with `created: false`).
   * `key` makes it once-only (a replayed closure raises one problem).
   */
  async raiseFrom(incident: Incident, origin: ProblemOrigin, actor: Actor, options: { key?: string; title?: string; description?: string } = {}): Promise<{ problem: Problem; created: boolean }> {
    const { service } = this;
    if (incident.links.problem) {
      const existing = await service.problems.get(incident.links.problem);
      if (existing) return { problem: existing, created: false };
    }
    // The incident's own rules decide first who may raise one from it (the same as who may link).
    if (actor.id !== SYSTEM_ACTOR.id) permittedRow(incident, 'link-problem', service.directory.relationsOf(actor, incident), service.directory);
    const ownerId = service.directory.problemManagers()[0] ?? actor.id;
    const now = service.deps.clock.now();
    const { problem, created } = await service.problems.create(
      {
        title: options.title ?? incident.title,
        description: options.description ?? incident.description,
        status: 'open',
        ownerId,
        incidents: [incident.id],
        cis: incident.ci ? [incident.ci] : [],
        services: incident.service ? [incident.service] : [],
        origin,
        timeline: [{ at: now, byId: actor.id, byName: actor.name, action: 'raise', note: `${origin}: ${incident.id}` }],
      },
      now,
      options.key,
    );
    await service.act(incident.id, 'link-problem', actor, { problemId: problem.id, created: true, ownerId: problem.ownerId }, `problem-link:${problem.id}:${incident.id}`);
    return { problem, created };
  }

  /** Links one more incident to a problem: the incident's action first (its rules say who may), then the problem's. */
  async link(incidentRef: string, problemRef: string, actor: Actor, key?: string): Promise<{ problem: Problem; incident: Incident }> {
    const { service } = this;
    const problem = await this.get(problemRef);
    const incident = await service.get(incidentRef);
    if (incident.links.problem && incident.links.problem !== problem.id) throw new UserError('incident_has_problem', { id: incident.id, problem: incident.links.problem });
    if (incident.links.problem === problem.id && problem.incidents.includes(incident.id)) throw new UserError('already_linked_problem', { id: incident.id, problem: problem.id });
    if (!problem.incidents.includes(incident.id)) {
      // The problem's table first: a closed problem takes no more incidents.
      decideProblem(this.context(problem, actor, {}), 'link');
    }
    const result = incident.links.problem === problem.id ? { incident } : await service.act(incident.id, 'link-problem', actor, { problemId: problem.id }, key);
    const updated = await this.act(problem.id, 'link', actor, { incidentId: incident.id, ci: incident.ci, service: incident.service });
    return { problem: updated, incident: result.incident };
  }

  /** One change through the problem's lifecycle table, decided again if someone saved first. */
  async act(ref: string, action: ProblemAction, actor: Actor, input: Record<string, string | undefined>): Promise<Problem> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const problem = await this.get(ref);
      const next = decideProblem(this.context(problem, actor, input), action);
      if (await this.service.problems.save(next, problem.rev)) return next;
    }
    throw new UserError('busy', { id: ref });
  }

  private context(problem: Problem, actor: Actor, input: Record<string, string | undefined>) {
    return { problem, actor, roles: this.rolesOf(actor, problem), input, now: this.service.deps.clock.now(), maxText: this.service.config.policy.limits.text };
  }
}
