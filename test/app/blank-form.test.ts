import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as command from '../../src/app/command.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people } from '../support/fixtures.js';

// The pipeline's form check, watched: `schemaFor` builds the zod schema every check parses with.
vi.mock('../../src/app/command.js', async (original) => {
  const actual = await original<typeof command>();
  return { ...actual, schemaFor: vi.fn(actual.schemaFor) };
});

/**
 * `/incident` alone opens the blank report form (issue 11): it has required fields and nothing is
 * given, so the form is shown with no errors whatever a check would say, and no check runs. A form
 * with something typed, or submitted, is still checked.
 */
describe('a blank form is shown without checking it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());
  const checks = () => vi.mocked(command.schemaFor).mock.calls.length;

  it('GIVEN "report" with nothing else THEN the form opens with no errors and no check ran', async () => {
    const before = checks();
    const reply = await t.app.run(people.user, 'report', {});
    expect(reply.form?.fields.map((f) => f.name)).toContain('title');
    expect(reply.form?.errors).toBeUndefined();
    expect(checks() - before).toBe(0);
  });

  it('GIVEN "report" with a title only THEN the form is checked and shows no error for what was not typed', async () => {
    const before = checks();
    const reply = await t.app.run(people.user, 'report', { title: 'x'.repeat(151) });
    expect(checks() - before).toBe(1);
    expect(reply.form?.errors).toEqual({ title: 'Title is too long (at most 150 characters).' });
  });

  it('GIVEN the blank form submitted THEN every required field is flagged', async () => {
    const reply = await t.app.run(people.user, 'report', {}, { submitted: true });
    expect(Object.keys(reply.form?.errors ?? {})).toEqual(expect.arrayContaining(['title', 'impact', 'urgency']));
  });
});
