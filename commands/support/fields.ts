import type { CommandContext } from '../../src/app/command.js';
import type { FormField, FormOption } from '../../src/app/view.js';
import { say, word } from '../../src/i18n/index.js';
import { areaChoices } from '../../src/domain/taxonomy.js';

/** Field builders and option lists shared by the command declarations; labels come from the catalog. */
export function text(ctx: CommandContext, name: string, required: boolean, maxLength = 200): FormField {
  return { name, label: word(ctx.m.field, name) ?? name, type: 'text', required, maxLength };
}

export function textarea(ctx: CommandContext, name: string, required: boolean): FormField {
  return { name, label: word(ctx.m.field, name) ?? name, type: 'textarea', required, maxLength: ctx.service.config.policy.limits.text };
}

export function select(ctx: CommandContext, name: string, options: FormOption[], required: boolean, initial?: string): FormField {
  return { name, label: word(ctx.m.field, name) ?? name, type: 'select', required, options, ...(initial ? { initial } : {}) };
}

export const options = {
  groups(ctx: CommandContext): FormOption[] {
    return ctx.service.directory.allGroups().map((g) => ({ value: g.id, label: say(g.name, ctx.locale) }));
  },
  /** Resolvers: members of assignment groups, labelled with their group so the choice is clear. */
  resolvers(ctx: CommandContext): FormOption[] {
    return ctx.service.directory.allGroups().flatMap((g) =>
      g.members.map((id) => ({ value: id, label: `${ctx.service.directory.nameOf(id)} (${say(g.name, ctx.locale)})` })),
    ).filter((o, i, all) => all.findIndex((x) => x.value === o.value) === i);
  },
  levels(ctx: CommandContext, kind: 'impact' | 'urgency'): FormOption[] {
    return ctx.service.config.policy[kind].map((l) => ({ value: String(l.level), label: `${l.level} — ${say(l.label, ctx.locale)}${l.hint ? ` (${say(l.hint, ctx.locale)})` : ''}` }));
  },
  categories(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.categories.map((c) => ({ value: c.id, label: say(c.label, ctx.locale) }));
  },
  /** Areas and sub-areas as paths ("Access › Login failure"), of one category when it is known. */
  areas(ctx: CommandContext, category?: string): FormOption[] {
    return areaChoices(ctx.service.config.policy, ctx.locale, category);
  },
  services(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.services.map((s) => ({ value: s.id, label: say(s.label, ctx.locale) }));
  },
  resolutionCodes(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.resolutionCodes.map((c) => ({ value: c.id, label: say(c.label, ctx.locale) }));
  },
  closureCodes(ctx: CommandContext): FormOption[] {
    return ctx.service.config.policy.closureCodes.map((c) => ({ value: c.id, label: say(c.label, ctx.locale) }));
  },
  priorities(): FormOption[] {
    return ['P1', 'P2', 'P3', 'P4'].map((p) => ({ value: p, label: p }));
  },
  majorManagers(ctx: CommandContext): FormOption[] {
    const d = ctx.service.directory;
    return [...new Set([...d.majorIncidentManagers(), ...d.incidentManagers()])].map((id) => ({ value: id, label: d.nameOf(id) }));
  },
  yesNo(ctx: CommandContext): FormOption[] {
    return [{ value: 'false', label: ctx.m.word.no }, { value: 'true', label: ctx.m.word.yes }];
  },
};
