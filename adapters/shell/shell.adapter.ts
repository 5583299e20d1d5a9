import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { AdapterCore } from '../../src/bot/adapter.js';
import type { RawArgs } from '../../src/app/command.js';
import type { PlatformAdapter } from '../../src/bot/adapter.js';
import { fileBytes, filesOf, narrowed, type ActionButton, type FormView, type Reply, type ReplyFile } from '../../src/app/view.js';
import type { Actor } from '../../src/domain/directory.js';
import { isLocale, say, type Locale } from '../../src/i18n/index.js';
import type { Voice } from '../../src/app/voice.js';
import { LineReader } from './line-reader.js';
import { ShellMessenger } from './shell.messenger.js';
import { fieldPrompt, renderReply } from './shell.renderer.js';

export interface ShellOptions {
  app: AdapterCore;
  input: Readable;
  output: Writable;
  /** Who you are at start; the first first-line person when unset. */
  actAs?: string;
  /** Where files a reply carries (a CSV export) are saved; `$DATA_DIR/exports` from the composition root. */
  exportDir?: string;
}

/**
 * The terminal chat: act as any configured person, type commands, press a card's buttons by
 * number, fill forms field by field. The credential-free way to use the bot (like Hubot's shell).
 * An adapter like the others: its messenger prints what the outbox delivers to the terminal.
 */
export class ShellAdapter implements PlatformAdapter {
  readonly name = 'shell';
  readonly messenger: ShellMessenger;
  private actor: Actor;
  private buttons: ActionButton[] = [];
  private readonly reader: LineReader;
  /** The language chosen with "lang" in this terminal; else the person's own. */
  private lang?: Locale;

  constructor(private readonly options: ShellOptions) {
    const { app } = options;
    const start = (options.actAs && app.directory.findPerson(options.actAs)) || app.directory.firstLineGroups()[0]?.members[0];
    const person = typeof start === 'string' ? app.directory.person(start) : start;
    this.actor = person ? { id: person.id, name: person.name } : { id: 'shell:user', name: app.m.shell.guest };
    this.reader = new LineReader(options.input, options.output);
    this.messenger = new ShellMessenger(app, options.output);
  }

  /** Nothing to connect to; `run()` is the chat itself, started once everything else runs. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** The language replies are in: "lang" in this terminal, else the acting person's. */
  private get voice(): Voice {
    const { app } = this.options;
    return app.voice(this.lang ?? app.localeFor(this.actor.id));
  }

  /** Runs until the input ends or the user types "quit". */
  async run(): Promise<void> {
    this.say(this.voice.m.shell.banner);
    this.say(this.whoami());
    for (;;) {
      const line = await this.reader.next(`${this.actor.id}> `);
      if (line === undefined) break;
      const text = line.trim();
      if (text === '') continue;
      if (text === 'quit' || text === 'exit') break;
      await this.handle(text);
    }
    this.say(this.voice.m.shell.bye);
  }

  private async handle(text: string): Promise<void> {
    const { app } = this.options;
    const { m } = this.voice;
    const [word, ...rest] = text.split(/\s+/);
    if (word === 'as') return this.switchTo(rest.join(' '));
    if (word === 'lang') return this.chooseLanguage(rest[0]);
    if (word === 'whoami') return this.say(this.whoami());
    if (word === 'people') return this.listPeople();
    if (word === 'shell') return this.say(m.shell.shellHelp);
    if (/^\d+$/.test(text)) return this.press(Number(text));
    const parsed = app.registry.parseText(text);
    if (!parsed) return this.say(`! ${m.error.unknown_command({ command: word ?? text })}\n${m.shell.shellHelp}`);
    if (parsed.name === 'help') this.say(m.shell.shellHelp);
    await this.execute(parsed.name, parsed.args);
  }

  private async press(n: number): Promise<void> {
    const { m } = this.voice;
    if (this.buttons.length === 0) return this.say(m.shell.noButtons);
    const button = this.buttons[n - 1];
    if (!button) return this.say(m.shell.noSuchButton({ n }));
    await this.execute(button.command, button.args);
  }

  /** Runs a command; while it answers with a form, asks the fields and submits them. */
  private async execute(name: string, args: RawArgs): Promise<void> {
    const { app } = this.options;
    const { locale, m } = this.voice;
    let reply: Reply = await app.run(this.actor, name, args, { locale });
    while (reply.form) {
      const values = await this.fill(reply.form);
      if (!values) return this.say(m.reply.formCancelled);
      reply = await app.run(this.actor, reply.form.command, { ...reply.form.args, ...values }, { submitted: true, locale });
    }
    const { text, buttons } = renderReply(reply, m);
    if (buttons.length > 0) this.buttons = buttons;
    this.say(text);
    if (reply.card && name === 'show') await this.warRoom(reply.card.incidentId);
    for (const file of filesOf(reply)) this.say(await this.save(file));
  }

  /**
   * The terminal has no war-room channel: a major incident's card is followed by what its war room
   * would hold, as a labelled section — the pinned recovery plan and the communication plan's drafts.
   */
  private async warRoom(incidentId: string): Promise<void> {
    const { app } = this.options;
    const { locale, m } = this.voice;
    const plan = await app.run(this.actor, 'plan', { id: incidentId }, { locale });
    // Not a major incident (the plan command says so): no war room.
    if (plan.error) return;
    const comms = await app.run(this.actor, 'comms', { id: incidentId }, { locale });
    this.say([m.shell.warRoomHeading({ id: incidentId }), plan.text ?? '', ...(comms.error ? [] : [comms.text ?? ''])].join('\n'));
  }


  /** Asks each field (only the faulty ones when the form came back with errors); "." cancels. */
  private async fill(form: FormView): Promise<RawArgs | undefined> {
    const { m } = this.voice;
    const values: RawArgs = {};
    const errors = form.errors ?? {};
    const toAsk = Object.keys(errors).length > 0 ? form.fields.filter((f) => errors[f.name]) : form.fields.filter((f) => !f.given);
    for (const field of form.fields) if (!toAsk.includes(field) && field.initial) values[field.name] = field.initial;
    if (Object.keys(errors).length === 0) this.say(m.shell.formHeading({ title: form.title }));
    for (const asked of toAsk) {
      // A dependent choice (an area) offers only what lies under the answer just given (its category).
      const field = narrowed(asked, values);
      if (!field) continue;
      const answer = await this.reader.next(fieldPrompt(field, m, errors[field.name]));
      if (answer === undefined || answer.trim() === '.') return undefined;
      let value = answer.trim() || field.initial || '';
      if (field.options && /^\d+$/.test(value)) value = field.options[Number(value) - 1]?.value ?? value;
      // An option typed as its label ("访问") is its value, so a choice that depends on it can narrow.
      else if (field.options) value = field.options.find((o) => o.label.toLowerCase() === value.toLowerCase())?.value ?? value;
      if (value) values[field.name] = value;
    }
    return values;
  }

  private switchTo(ref: string): void {
    const { app } = this.options;
    const person = app.directory.findPerson(ref);
    if (!person) return this.say(this.voice.m.shell.unknownPerson({ ref }));
    this.actor = { id: person.id, name: person.name };
    // Buttons belong to the card shown to one person; the new one must look at the card again.
    this.buttons = [];
    this.say(this.whoami());
  }

  /** "lang zh-CN" / "lang en": replies in this terminal, and notices to the acting person, in that language. */
  private chooseLanguage(tag: string | undefined): void {
    const { app } = this.options;
    if (!tag || !isLocale(tag)) return this.say(this.voice.m.shell.langUsage);
    this.lang = tag;
    app.setLocale(this.actor.id, tag);
    const { m } = this.voice;
    this.say(m.reply.language({ language: m.language[tag] }));
  }

  private whoami(): string {
    const d = this.options.app.directory;
    const { m, locale } = this.voice;
    const roles = [
      ...d.groupsOf(this.actor.id).map((g) => (g.firstLine ? `${say(g.name, locale)} (${m.shell.firstLine})` : say(g.name, locale))),
      ...(d.isIncidentManager(this.actor.id) ? [m.shell.incidentManager] : []),
      ...(d.person(this.actor.id)?.vip ? ['VIP'] : []),
    ];
    return m.shell.actingAs({ name: this.actor.name, id: this.actor.id, roles: roles.join(', ') });
  }

  private listPeople(): void {
    const d = this.options.app.directory;
    const { m, locale } = this.voice;
    const lines = d.allPeople().map((p) => {
      const groups = d.groupsOf(p.id).map((g) => say(g.name, locale));
      if (d.isIncidentManager(p.id)) groups.push(m.shell.incidentManager);
      return `  ${p.id.padEnd(12)} ${p.name}${groups.length ? ` — ${groups.join(', ')}` : ''}${p.vip ? ' (VIP)' : ''}`;
    });
    this.say([m.shell.peopleHeading, ...lines].join('\n'));
  }

  /** Saves a reply's file in the export folder; the line says where (or why not). */
  private async save(file: ReplyFile): Promise<string> {
    const { m } = this.voice;
    const dir = resolve(this.options.exportDir ?? 'exports');
    const path = join(dir, basename(file.name));
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(path, fileBytes(file));
      return m.shell.saved({ path });
    } catch (error) {
      return m.shell.notSaved({ path, error: (error as Error).message });
    }
  }

  private say(text: string): void {
    this.options.output.write(`${text}\n`);
  }
}
