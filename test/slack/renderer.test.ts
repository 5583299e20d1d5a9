import { describe, expect, it } from 'vitest';
import { fieldErrors, parseButtonValue, readSubmission, renderCard, renderModal, renderReply } from '../../adapters/slack/slack.renderer.js';
import { escapeMrkdwn, safeMrkdwn, truncate } from '../../adapters/slack/slack.text.js';
import { warRoomName } from '../../adapters/slack/slack.surface.js';
import type { CardView, FormView } from '../../src/app/view.js';

const card = (overrides: Partial<CardView> = {}): CardView => ({
  incidentId: 'INC-000042',
  title: 'INC-000042 VPN down',
  subtitle: 'Whole floor',
  colour: 'red',
  fields: [{ label: 'Status', value: 'Open', short: true }],
  actions: [{ label: 'Accept', command: 'accept', args: { id: 'INC-000042' }, style: 'primary' }],
  ...overrides,
});

describe('Slack renderer: escaping and limits', () => {
  it.each([
    ['<!channel> now', '&lt;!channel&gt; now'],
    ['<!here>', '&lt;!here&gt;'],
    ['hi <@U123>', 'hi &lt;@U123&gt;'],
    ['<!subteam^S1>', '&lt;!subteam^S1&gt;'],
    ['a & b', 'a &amp; b'],
    ['<https://evil|click>', '&lt;https://evil|click&gt;'],
  ])('escapes %s so it cannot mention or link', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });

  it('cuts long text with a visible "…" and never splits an entity', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(safeMrkdwn('x'.repeat(10) + '&&&&', 12)).toMatch(/^x{10}(&amp;)?…$/);
    expect([...safeMrkdwn('y'.repeat(5000))].length).toBe(3000);
  });

  it('keeps every user string of a card escaped and within Block Kit limits', () => {
    const blocks = renderCard(card({ title: `INC-000042 <!everyone> ${'t'.repeat(400)}`, subtitle: 'd'.repeat(5000), fields: Array.from({ length: 23 }, (_, i) => ({ label: `F${i}`, value: 'v'.repeat(3000), short: true })) }), { rev: 3 });
    const json = JSON.stringify(blocks);
    expect(json).not.toContain('<!everyone>');
    for (const block of blocks) {
      const text = (block.text as { text?: string } | undefined)?.text;
      if (text) expect([...text].length).toBeLessThanOrEqual(3000);
      const fields = block.fields as { text: string }[] | undefined;
      if (fields) {
        expect(fields.length).toBeLessThanOrEqual(10);
        for (const f of fields) expect([...f.text].length).toBeLessThanOrEqual(2000);
      }
    }
    expect(json).toContain('…');
    const button = (blocks.at(-1)!.elements as { value: string; action_id: string }[])[0]!;
    expect(parseButtonValue(button.value)).toEqual({ c: 'accept', a: { id: 'INC-000042' }, r: 3 });
  });

  it('never sends more than 50 blocks in a message', () => {
    const reply = renderReply({ ephemeral: true, sections: Array.from({ length: 60 }, (_, i) => ({ heading: `H${i}`, items: [{ incidentId: 'INC-1', line: 'x' }] })) });
    expect(reply.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(reply.blocks)).toContain('…');
  });

  it('renders a form as a modal: block_id = field name, titles ≤ 24, options and initial values', () => {
    const form: FormView = {
      title: 'Reject INC-000042 because of reasons',
      submitLabel: 'Reject',
      cancelLabel: 'Cancel',
      command: 'reject',
      args: { id: 'INC-000042' },
      fields: [
        { name: 'reason', label: 'Reason', type: 'textarea', required: true, maxLength: 3000 },
        { name: 'suggestedGroupId', label: 'Suggested group', type: 'select', required: true, options: [{ value: 'network', label: 'Network' }], initial: 'network' },
      ],
    };
    const modal = renderModal(form, '{"c":"reject"}');
    expect(modal.title.text.length).toBeLessThanOrEqual(24);
    expect(modal.blocks.map((b) => b.block_id)).toEqual(['reason', 'suggestedGroupId']);
    expect(modal.blocks[1]!.element).toMatchObject({ type: 'static_select', initial_option: { value: 'network' } });
    expect(fieldErrors({ ...form, errors: { reason: 'Reason is required.', nope: 'x' } })).toEqual({ reason: 'Reason is required.' });
  });

  it('reads submitted values by block id', () => {
    expect(readSubmission({ values: { reason: { reason: { value: 'because' } }, group: { group: { selected_option: { value: 'network' } } }, empty: { empty: { value: null } } } }))
      .toEqual({ reason: 'because', group: 'network' });
  });

  it.each([
    ['INC-000123', 'Printer on fire!', 'inc-000123-printer-on-fire'],
    ['INC-000123', 'Überlastung — Café', 'inc-000123-uberlastung-cafe'],
    ['INC-000123', '打印机', 'inc-000123'],
    ['INC-000123', 'x'.repeat(200), `inc-000123-${'x'.repeat(69)}`],
  ])('war-room name for %s "%s" is a valid Slack channel name', (id, title, expected) => {
    const name = warRoomName(id, title);
    expect(name).toBe(expected);
    expect(name).toMatch(/^[a-z0-9][a-z0-9_-]{0,79}$/);
  });
});
