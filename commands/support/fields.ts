import type { CommandContext } from '../../src/app/command.js';
import type { FormField, FormOption } from '../../src/app/view.js';

/** Field builders and option lists shared by the command declarations; labels come from the catalog. */
export function text(ctx: CommandContext, name: string, required: boolean, maxLength = 200): FormField {
  return { name, label: ctx.m.field[name] ?? name, type: 'text', required, maxLength };
}

export function textarea(ctx: CommandContext, name: string, required: boolean): FormField {
  return { name, label: ctx.m.field[name] ?? name, type: 'textarea', required, maxLength: ctx.service.config.policy.limits.text };
}

export function select(ctx: CommandContext, name: string, options: FormOption[], required: boolean, initial?: string): FormField {
  return { name, label: ctx.m.field[name] ?? name, type: 'select', required, options, ...(initial ? { initial } : {}) };
}

export const options = {
  groups(ctx: CommandContext): FormOption[] {
    return ctx.service.directory.allGroups().map((g) => ({ value: g.id, label: g.name }));
  },
  /** Resolvers: members of assignment groups, labelled with their group so the choice is clear. */
  resolvers(ctx: CommandContext): FormOption[] {
    return ctx.service.directory.allGroups().flatMap((g) =>
      g.members.map((id) => ({ value: id, label: `${ctx.service.directory.nameOf(id)} (${g.name})` })),
    ).filter((o, i, all) => all.findIndex((x) => x.value === o.value) === i);
  },
  levels(ctx: CommandContext, kind: 'impact' | 'urgency'): FormOption[] {
    return ctx.service.config.policy[kind].map((l) => ({ value: String(l.level), label: `${l.level} — ${l.label}${l.hint ? ` (${l.hint})` : ''}` }));
  },
  categories(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.categories.map((c) => ({ value: c.id, label: c.label }));
  },
  services(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.services.map((s) => ({ value: s.id, label: s.label }));
  },
  resolutionCodes(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.resolutionCodes.map((c) => ({ value: c.id, label: c.label }));
  },
  closureCodes(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.closureCodes.map((c) => ({ value: c.id, label: c.label }));
  },
  priorities(): FormOption[] {
    return ['P1', 'P2', 'P3', 'P4'].map((p) => ({ value: p, label: p }));
  },
  majorManagers(ctx: CommandContext): FormOption[] {
    const d = ctx.service.directory;
    return [...new Set([...d.majorIncidentManagers(), ...d.incidentManagers()])].map((id) => ({ value: id, label: d.nameOf(id) }));
  },
  yesNo(): FormOption[] {
    return [{ value: 'false', label: 'No' }, { value: 'true', label: 'Yes' }];
  },
};
