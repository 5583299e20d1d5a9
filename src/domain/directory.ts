import type { ConfigFile, GroupConfig, PersonConfig } from '../config/config.schema.js';
import { say, type Locale } from '../config/locales.js';
import type { Incident } from './incident.js';

/** Who is acting. Unknown chat users act as guests: they may report and follow their own incidents. */
export interface Actor {
  id: string;
  name: string;
  /** Group memberships the chat platform vouches for (e.g. a Discord role mapped to a group), beyond the configured members. */
  groups?: readonly string[];
}

export const SYSTEM_ACTOR: Actor = { id: 'system', name: 'Incident bot' };

/** What an actor is with respect to one incident (SPEC §1). */
export type Relation =
  | 'anyone'
  | 'reporter'
  | 'first_line'
  | 'assignee'
  | 'group_member'
  | 'incident_manager'
  | 'major_incident_manager'
  /** A team lead of the group that closed the incident: verifies the record (SPEC §11). */
  | 'team_lead'
  /** Who closed the incident: corrects a record the team lead returned. */
  | 'closer'
  /** Holds the problem-manager role: links incidents to problem records. */
  | 'problem_manager'
  /** The bot itself, cascading a master's resolution to its duplicates. */
  | 'system';

/** Read-only view of the organisation: people, groups, roles. */
export class Directory {
  private readonly people: Map<string, PersonConfig>;
  private readonly groups: Map<string, GroupConfig>;

  constructor(private readonly config: ConfigFile) {
    this.people = new Map(config.organisation.people.map((p) => [p.id, p]));
    this.groups = new Map(config.organisation.groups.map((g) => [g.id, g]));
  }

  person(id: string): PersonConfig | undefined {
    return this.people.get(id);
  }

  group(id: string): GroupConfig | undefined {
    return this.groups.get(id);
  }

  allPeople(): PersonConfig[] {
    return [...this.people.values()];
  }

  allGroups(): GroupConfig[] {
    return [...this.groups.values()];
  }

  /** A person's name or a group's (in this language, else the organisation's). */
  nameOf(id: string | undefined, locale: Locale = this.config.organisation.locale): string {
    if (!id) return '—';
    const group = this.groups.get(id);
    return this.people.get(id)?.name ?? (group ? say(group.name, locale) : id);
  }

  /** The language a person reads, when the configuration says: their own `locale`. */
  localeOf(personId: string): Locale | undefined {
    return this.people.get(personId)?.locale;
  }

  /** The organisation's language: channel posts, and people whose own is unknown. */
  get defaultLocale(): Locale {
    return this.config.organisation.locale;
  }

  /** Finds a person by id, chat identity or (case-insensitive) name. */
  findPerson(ref: string): PersonConfig | undefined {
    const needle = ref.trim().toLowerCase();
    return this.allPeople().find(
      (p) => p.id === needle || p.slack === ref || p.discord === ref || p.name.toLowerCase() === needle,
    );
  }

  firstLineGroups(): GroupConfig[] {
    return this.allGroups().filter((g) => g.firstLine);
  }

  isFirstLine(personId: string): boolean {
    return this.firstLineGroups().some((g) => g.members.includes(personId));
  }

  isIncidentManager(personId: string): boolean {
    return this.config.organisation.incidentManagers.includes(personId);
  }

  isMember(personId: string, groupId: string | undefined): boolean {
    return groupId !== undefined && (this.groups.get(groupId)?.members.includes(personId) ?? false);
  }

  groupsOf(personId: string): GroupConfig[] {
    return this.allGroups().filter((g) => g.members.includes(personId));
  }

  /** People holding a role for an incident of this group: the group's own holders, else the organisation's. */
  holders(role: string, groupId?: string): string[] {
    const fromGroup = groupId ? this.groups.get(groupId)?.roles[role] : undefined;
    return fromGroup && fromGroup.length > 0 ? fromGroup : (this.config.organisation.roles[role] ?? []);
  }

  incidentManagers(): string[] {
    return this.config.organisation.incidentManagers;
  }

  majorIncidentManagers(): string[] {
    const named = this.config.organisation.majorIncidentManagers;
    return named.length > 0 ? named : this.config.organisation.incidentManagers;
  }

  /**
   * Who verifies a closed record (SPEC §11 值班组组长核实): the team leads (the policy's lead role)
   * of the group that closed it, those on duty first; with none named, the incident managers.
   */
  teamLeads(incident: Pick<Incident, 'closingGroupId' | 'groupId' | 'lastGroupId'>): string[] {
    const groupId = incident.closingGroupId ?? incident.groupId ?? incident.lastGroupId;
    const leads = this.holders(this.config.policy.closure.verification.leadRole, groupId);
    const onDuty = groupId ? leads.filter((id) => this.groups.get(groupId)?.onDuty.includes(id)) : [];
    if (onDuty.length > 0) return onDuty;
    return leads.length > 0 ? leads : this.incidentManagers();
  }

  /** A major incident's recovery team (SPEC §12): its major incident manager, owner and assignee, and the assigned group's members. */
  recoveryTeam(incident: Pick<Incident, 'majorIncidentManagerId' | 'ownerId' | 'assigneeId' | 'groupId'>): string[] {
    const named = [incident.majorIncidentManagerId, incident.ownerId, incident.assigneeId].filter((id): id is string => Boolean(id));
    const group = incident.groupId ? (this.groups.get(incident.groupId)?.members ?? []) : [];
    return [...new Set([...named, ...group])];
  }

  /** Owners of problem records (the policy's problem-manager role); with none named, the incident managers. */
  problemManagers(): string[] {
    const named = this.holders(this.config.policy.problems.managerRole);
    return named.length > 0 ? named : this.incidentManagers();
  }

  /**
   * The group an incident is closed by: the closer's service desk group, else the group it was
   * with, else the first service desk group.
   */
  closingGroup(actorId: string, incident: Pick<Incident, 'groupId' | 'lastGroupId'>): string | undefined {
    const desk = this.firstLineGroups();
    return desk.find((g) => g.members.includes(actorId))?.id ?? incident.groupId ?? incident.lastGroupId ?? desk[0]?.id;
  }

  onDutyFirstLine(): string[] {
    return this.firstLineGroups().flatMap((g) => (g.onDuty.length > 0 ? g.onDuty : g.members));
  }

  relationsOf(actor: Actor, incident: Incident): Set<Relation> {
    if (actor.id === SYSTEM_ACTOR.id) return new Set<Relation>(['anyone', 'system', 'incident_manager']);
    const relations = new Set<Relation>(['anyone']);
    if (incident.reporterId === actor.id) relations.add('reporter');
    const viaPlatform = actor.groups ?? [];
    if (this.isFirstLine(actor.id) || viaPlatform.some((g) => this.groups.get(g)?.firstLine)) relations.add('first_line');
    if (incident.assigneeId === actor.id) relations.add('assignee');
    if (this.isMember(actor.id, incident.groupId) || (incident.groupId !== undefined && viaPlatform.includes(incident.groupId))) relations.add('group_member');
    if (this.isIncidentManager(actor.id)) relations.add('incident_manager');
    if (incident.majorIncidentManagerId === actor.id) relations.add('major_incident_manager');
    if (incident.status === 'closed') {
      if (this.teamLeads(incident).includes(actor.id)) relations.add('team_lead');
      if (incident.closedById === actor.id) relations.add('closer');
    }
    if (this.problemManagers().includes(actor.id)) relations.add('problem_manager');
    return relations;
  }
}
