import { parse } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import { formFields } from '../../adapters/slack/slack.events.js';

describe('Slack form bodies, read once (formFields)', () => {
  it('reads what querystring reads: escapes, + as space, Chinese, empty and bare names', () => {
    const bodies = [
      `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', view: { title: '网络中断 & "quotes" + 100%' } })).replace(/%20/g, '+')}`,
      'command=%2Fincident&text=report+Core+switch+down&user_id=U1&empty=&bare',
      'text=50%25+off%E4%B8%AD',
    ];
    for (const body of bodies) expect(formFields(body)).toEqual({ ...parse(body) });
  });

  it('GIVEN a broken % escape THEN it is kept as querystring keeps it, not an error', () => {
    const body = 'text=100%+sure%E4%B8&user_id=U1';
    expect(formFields(body)).toEqual({ ...parse(body) });
    expect(formFields(body).user_id).toBe('U1');
  });

  it('reads a view submission as its payload JSON', () => {
    const view = { id: 'V1', state: { values: { title: { v: { type: 'plain_text_input', value: 'Printer on fire — 打印机' } } } } };
    const fields = formFields(`payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', view }))}`);
    expect(JSON.parse(fields.payload!)).toEqual({ type: 'view_submission', view });
  });
});
