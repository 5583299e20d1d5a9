import { actionCommand } from './support/action-command.js';

/** Assignee or group member takes a dispatched incident (assigned → in progress). */
export default actionCommand({ name: 'accept' });
