import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { configWarnings } from '../../src/config/config-warnings.js';
import { config as shipped } from '../support/fixtures.js';

/** Start-up warnings: what a valid file still cannot do as written, each naming the setting. */
describe('configWarnings', () => {
  const withChannels = (channels: ConfigFile['policy']['notification']['P2']['channels'], notify?: string): ConfigFile => {
    const config: ConfigFile = structuredClone(shipped);
    config.policy.notification.P2.channels = channels;
    config.organisation.webhooks = notify ? { notify } : {};
    return config;
  };

  it('the shipped file warns about nothing', () => {
    expect(configWarnings(shipped)).toEqual([]);
  });

  it('GIVEN P2 lists "email" and no e-mail route THEN one warning names the setting and what happens to those e-mails', () => {
    expect(configWarnings(withChannels(['dm', 'email']))).toEqual([
      'policy.notification.P2.channels lists "email" but no e-mail route is configured (SMTP_URL, or organisation.webhooks.notify): e-mail notifications will be marked undeliverable',
    ]);
  });

  it('GIVEN P2 lists "email" and the notification webhook (an e-mail gateway) is set THEN no warning', () => {
    expect(configWarnings(withChannels(['dm', 'email'], 'https://gateway.example.com/notify'))).toEqual([]);
  });

  it('GIVEN P2 lists "email" and SMTP_URL is set THEN no warning', () => {
    expect(configWarnings(withChannels(['dm', 'email']), { smtp: true })).toEqual([]);
  });
});
