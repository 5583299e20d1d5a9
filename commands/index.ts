import type { CommandDef } from '../src/app/command.js';
import { CommandRegistry } from '../src/app/registry.js';
import accept from './accept.js';
import admin from './admin.js';
import changePriority from './change-priority.js';
import ci from './ci.js';
import kb from './kb.js';
import classify from './classify.js';
import close from './close.js';
import confirm from './confirm.js';
import declareMajor from './declare-major.js';
import dispatch from './dispatch.js';
import { helpCommand } from './help.js';
import list from './list.js';
import markDuplicate from './mark-duplicate.js';
import pendingChange from './pending-change.js';
import recur from './recur.js';
import redispatch from './redispatch.js';
import reject from './reject.js';
import reopen from './reopen.js';
import report from './report.js';
import requestClosure from './request-closure.js';
import resolve from './resolve.js';
import resume from './resume.js';
import search from './search.js';
import show from './show.js';
import suspend from './suspend.js';
import timeline from './timeline.js';
import update from './update.js';
import withdraw from './withdraw.js';
import verify from './verify.js';
import returnRecord from './return.js';
import correct from './correct.js';
import rate from './rate.js';
import problem from './problem.js';
import followup from './followup.js';
import plan from './plan.js';
import comms from './comms.js';
import review from './review.js';
import kpi from './kpi.js';
import { commsApprove, commsEdit, commsReject } from './comms-buttons.js';
import { subscribe, unsubscribe } from './subscribe.js';

/** Every user intent, in the order help lists them. */
const commands: CommandDef[] = [
  report, show, list, search, timeline, classify, changePriority, dispatch, accept, reject, redispatch, update, suspend, resume,
  pendingChange, resolve, confirm, reopen, close, withdraw, markDuplicate, declareMajor, requestClosure, recur,
  verify, returnRecord, correct, rate, problem, followup, plan, comms, commsApprove, commsEdit, commsReject, review, kpi, subscribe, unsubscribe, ci, kb, admin,
];
commands.push(helpCommand(() => commands));

export function createRegistry(): CommandRegistry {
  return new CommandRegistry(commands);
}
