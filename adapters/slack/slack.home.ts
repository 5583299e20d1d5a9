import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AdapterCore } from '../../src/bot/adapter.js';
import type { SlackLocales } from './slack.locales.js';
import { capBlocks, renderButtons, renderSections, type SlackBlock } from './slack.renderer.js';
import { LIMITS, mrkdwn, plain, safeMrkdwn } from './slack.text.js';

/** The Home tab: a Report button, then my queue and my groups' queue with due times (the `list` command). */
export class HomeTab {
  constructor(
    private readonly app: AdapterCore,
    private readonly client: webApi.WebClient,
    private readonly locales: SlackLocales,
    private readonly log: Logger,
  ) {}

  async publish(userId: string): Promise<void> {
    const { app } = this;
    const actor = app.actorFor('slack', userId);
    const locale = await this.locales.of(userId, actor);
    const { m, presenter } = app.voice(locale);
    const reply = await app.run(actor, 'list', {}, { locale });
    const blocks: SlackBlock[] = [
      { type: 'header', text: plain(m.slack.homeHeading, LIMITS.headerText) },
      ...renderButtons([{ label: m.action.report, command: 'report', args: {}, style: 'primary' }], 'home'),
    ];
    if (reply.text) blocks.push({ type: 'section', text: mrkdwn(safeMrkdwn(reply.text)) });
    if (reply.sections) blocks.push(...renderSections(reply.sections, m.action.show));
    blocks.push({ type: 'context', elements: [mrkdwn(safeMrkdwn(m.slack.homeUpdated({ at: presenter.formatTime(app.clock.now()) })))] });
    await this.client.views.publish({ user_id: userId, view: { type: 'home', blocks: capBlocks(blocks, LIMITS.blocksPerView) } as never });
    this.log.debug({ userId }, 'home tab published');
  }
}
