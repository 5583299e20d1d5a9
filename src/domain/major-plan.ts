import type { AUDIENCES, COMMS_CHANNELS } from '../config/config.schema.js';

/** What a major incident carries on its record (SPEC §12): its recovery plan and communication plan. */
export interface Hypothesis {
  text: string;
  /** 1 (unlikely) … 5 (almost certain): the plan lists the likeliest first. */
  likelihood: number;
}

export interface PlanAction {
  n: number;
  text: string;
  ownerId: string;
  dueAt?: Date;
  done: boolean;
}

export interface RecoveryPlan {
  version: number;
  facts: string;
  breakdown: string;
  hypotheses: Hypothesis[];
  actions: PlanAction[];
  /** The next review meeting of the recovery team. */
  nextReviewAt?: Date;
  savedAt: Date;
  savedById: string;
  savedByName: string;
}

export type Audience = (typeof AUDIENCES)[number];
export type CommsChannel = (typeof COMMS_CHANNELS)[number];

export interface AudiencePlan {
  audience: Audience;
  /** Where its updates are posted; `none`: released by people outside chat (press, authorities), recorded here. */
  channel: CommsChannel;
  every: number;
  /** Holders of this role (the group's, else the organisation's) approve its updates before they go out. */
  approverRole?: string;
  nextDueAt: Date;
  lastSentAt?: Date;
}

export interface CommsDraft {
  n: number;
  audience: Audience;
  text: string;
  byId: string;
  byName: string;
  at: Date;
  state: 'pending' | 'posted' | 'rejected';
  decidedByName?: string;
  reason?: string;
}

export interface Comms {
  audiences: AudiencePlan[];
  drafts: CommsDraft[];
}
