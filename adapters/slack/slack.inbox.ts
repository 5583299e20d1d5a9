import type { Connection } from 'mongoose';
import { SubmissionInbox } from '../../src/store/submission-inbox.js';
import type { Locale } from '../../src/i18n/index.js';
import type { RawArgs } from '../../src/app/command.js';

/** A submitted form acknowledged to Slack and not yet answered: enough to run it again and answer its person. */
export interface HeldSubmission {
  /** The submission's request key (`slack:view:<view id>`): running it again acts once. */
  _id: string;
  user: { id: string; name?: string };
  command: string;
  args: RawArgs;
  /** Where the answer goes (FormMetadata's origin: user, channel, response_url, message, language). */
  origin: Record<string, unknown> & { user: string; locale?: Locale };
  /** What the person entered, as lines ready to show back if nothing could be saved. */
  entered: string[];
  at: Date;
}

export type SlackInbox = SubmissionInbox<HeldSubmission>;

/**
 * `slack_submissions`: Slack does not send an acknowledged `view_submission` again, so each is held
 * from just after its ack (which needs no database) until its person has the answer.
 */
export function slackInbox(conn: Connection): SlackInbox {
  return new SubmissionInbox<HeldSubmission>(conn, 'slack_submissions');
}
