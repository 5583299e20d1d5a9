import type { AdapterCore } from '../../src/bot/adapter.js';
import type { Destination } from '../../src/app/platform.js';
import type { Incident } from '../../src/domain/incident.js';

const GUEST_PREFIX = 'slack:';

/** Organisation ids ↔ Slack ids (people, groups' channels and user groups, configured channels). */
export class SlackDirectory {
  constructor(private readonly app: AdapterCore) {}

  /** The Slack user of a person id; guests reporting from Slack are `slack:U…`. */
  userOf(personId: string | undefined): string | undefined {
    if (!personId) return undefined;
    if (personId.startsWith(GUEST_PREFIX)) return personId.slice(GUEST_PREFIX.length);
    return this.app.directory.person(personId)?.slack;
  }

  channel(name: 'serviceDesk' | 'stakeholders' | 'management'): string | undefined {
    return this.app.config.organisation.channels[name]?.slack;
  }

  /** The channel a service's state changes are posted in (organisation.serviceChannels). */
  serviceChannel(serviceId: string): string | undefined {
    return this.app.config.organisation.serviceChannels[serviceId]?.slack;
  }

  groupChannel(groupId: string | undefined): string | undefined {
    return groupId ? this.app.directory.group(groupId)?.slack.channel : undefined;
  }

  groupUsergroup(groupId: string | undefined): string | undefined {
    return groupId ? this.app.directory.group(groupId)?.slack.usergroup : undefined;
  }

  groupUsers(groupId: string | undefined): string[] {
    const group = groupId ? this.app.directory.group(groupId) : undefined;
    return (group?.members ?? []).map((id) => this.userOf(id)).filter((u): u is string => Boolean(u));
  }

  /** The recovery team's Slack users (Directory.recoveryTeam). */
  recoveryTeam(incident: Incident): string[] {
    return this.app.directory.recoveryTeam(incident).map((id) => this.userOf(id)).filter((u): u is string => Boolean(u));
  }

  reaches(destination: Destination): boolean {
    if (destination.kind === 'person') return Boolean(this.userOf(destination.personId));
    if (destination.kind === 'channel') return destination.channel === 'warroom' || Boolean(this.channel(destination.channel));
    if (destination.kind === 'contact') return false;
    if (destination.kind === 'service') return Boolean(this.serviceChannel(destination.serviceId));
    return Boolean(this.groupChannel(destination.groupId)) || this.groupUsers(destination.groupId).length > 0;
  }
}
