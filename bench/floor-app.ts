/**
 * The floor for `npm run bench:slack`: the least a Bolt app can do for `/incident` — acknowledge,
 * then open a one-field modal — on the same machine, fake Web API and load as the bot.
 *   PORT, SLACK_SIGNING_SECRET, SLACK_API_URL; FLOOR_MODE=ack-only skips the modal.
 */
import { App, LogLevel } from '@slack/bolt';

const port = Number(process.env.PORT ?? 3100);
const app = new App({
  token: 'xoxb-floor',
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
  logLevel: LogLevel.ERROR,
});

app.command(/^\/.+/, async ({ ack, body, client }) => {
  await ack();
  if (process.env.FLOOR_MODE === 'ack-only') return;
  await client.views
    .open({
      trigger_id: body.trigger_id,
      view: {
        type: 'modal',
        callback_id: 'floor',
        title: { type: 'plain_text', text: 'Report' },
        submit: { type: 'plain_text', text: 'Send' },
        blocks: [{ type: 'input', block_id: 'title', label: { type: 'plain_text', text: 'Title' }, element: { type: 'plain_text_input', action_id: 'v' } }],
      },
    })
    .catch(() => undefined);
});

await app.start(port);
console.log(`floor app listening on ${port}`);
