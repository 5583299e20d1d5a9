import { PRIORITIES, type ConfigFile } from './config.schema.js';

/**
 * What a valid configuration still cannot do as written, for the composition root to log at
 * start-up (one sentence each, naming the setting). Pure: the file alone decides.
 */
export function configWarnings(config: ConfigFile, routes: { smtp?: boolean } = {}): string[] {
  const warnings: string[] = [];
  const emailRoute = routes.smtp || config.organisation.webhooks.notify;
  for (const priority of PRIORITIES) {
    // `email` is delivered over SMTP (SMTP_URL), else by the notification webhook (an e-mail gateway).
    if (config.policy.notification[priority].channels.includes('email') && !emailRoute) {
      warnings.push(
        `policy.notification.${priority}.channels lists "email" but no e-mail route is configured (SMTP_URL, or organisation.webhooks.notify): ` +
          'e-mail notifications will be marked undeliverable',
      );
    }
  }
  return warnings;
}
